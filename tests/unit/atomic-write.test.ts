import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveWriteTarget, writeFileAtomic, writeIfChanged } from '../../src/lib/atomic-write.js';
import { UserError } from '../../src/lib/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-aw-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('resolveWriteTarget', () => {
  it('gives the file itself, or the regular file a link points to', async () => {
    expect(await resolveWriteTarget(path.join(dir, 'absent'))).toBe(path.join(dir, 'absent'));
    await fs.writeFile(path.join(dir, 'real'), 'x');
    await fs.symlink('real', path.join(dir, 'link'));
    await fs.symlink('link', path.join(dir, 'link2'));
    expect(await resolveWriteTarget(path.join(dir, 'link2'))).toBe(await fs.realpath(path.join(dir, 'real')));
  });

  it('refuses a link to a character device (~/.pgpass → /dev/null), a folder, and a dangling or looping link', async () => {
    await fs.symlink('/dev/null', path.join(dir, 'null'));
    await fs.mkdir(path.join(dir, 'folder'));
    await fs.symlink(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    await fs.symlink('loop', path.join(dir, 'loop'));
    for (const [name, why] of [['null', /character device/], ['folder', /a folder/], ['dangling', /does not exist/], ['loop', /loops/]] as const) {
      const e = await resolveWriteTarget(path.join(dir, name)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).exitCode).toBe(1);
      expect((e as Error).message).toMatch(why);
    }
  });

  it('refuses, as the user\'s error (exit 1), a path through a folder link that loops', async () => {
    await fs.symlink('b', path.join(dir, 'a'));
    await fs.symlink('a', path.join(dir, 'b'));
    const e = await resolveWriteTarget(path.join(dir, 'a', '.pgpass')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(1);
    expect((e as Error).message).toMatch(/a folder on its path is a symbolic link that loops; nothing was changed/);
  });
});

describe('writeFileAtomic through a link', () => {
  it('replaces the target (temp file in the target\'s folder), keeps the link, and writes only on change', async () => {
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-aw-target-'));
    try {
      const target = path.join(other, 'env');
      await fs.writeFile(target, 'old');
      await fs.symlink(target, path.join(dir, '.env.local'));
      await writeFileAtomic(path.join(dir, '.env.local'), 'new', { mode: 0o600 });
      expect((await fs.lstat(path.join(dir, '.env.local'))).isSymbolicLink()).toBe(true);
      expect(await fs.readFile(target, 'utf8')).toBe('new');
      expect((await fs.stat(target)).mode & 0o777).toBe(0o600);
      expect(await writeIfChanged(path.join(dir, '.env.local'), Buffer.from('new'), { mode: 0o600 })).toBe(false);
      expect(await fs.readdir(other)).toEqual(['env']);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});
