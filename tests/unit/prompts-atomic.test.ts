import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeIfChanged } from '../../src/lib/files/atomic-write.js';
import { RefusedError } from '../../src/lib/cli/errors.js';
import { confirmTyped, confirmYesNo, promptSecret } from '../../src/lib/cli/prompts.js';

const nonInteractive = { ctx: { stdinIsTTY: false, ci: false }, yes: false };
const ciTty = { ctx: { stdinIsTTY: true, ci: true }, yes: false };

describe('prompts without a person', () => {
  it('answers yes/no with --yes, and refuses (exit 3, naming the flag) otherwise', async () => {
    await expect(confirmYesNo({ ...nonInteractive, yes: true }, 'go?')).resolves.toBe(true);
    const err = await confirmYesNo(ciTty, 'go?').catch((e) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.exitCode).toBe(3);
    expect(err.hint).toContain('--yes');
  });

  it('never lets --yes answer a typed confirmation', async () => {
    const err = await confirmTyped({ ...nonInteractive, yes: true }, 'Really?', 'ROLLBACK', { flag: '--confirm' }).catch((e) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.hint).toContain('--confirm ROLLBACK');
  });

  it('accepts the exact flag value and refuses anything else', async () => {
    await expect(confirmTyped(nonInteractive, 'x', 'ROLLBACK', { flag: '--confirm', given: 'ROLLBACK' })).resolves.toBeUndefined();
    await expect(confirmTyped(nonInteractive, 'x', 'ROLLBACK', { flag: '--confirm', given: 'rollback' })).rejects.toBeInstanceOf(RefusedError);
  });

  it('asks no secret when not interactive', async () => {
    await expect(promptSecret(nonInteractive, 'pw')).resolves.toBeUndefined();
  });
});

describe('atomic writes', () => {
  it('creates files with mode 0600 whatever the umask, replaces content, leaves no temp file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-aw-'));
    const f = path.join(dir, 'secret');
    const old = process.umask(0o000);
    try {
      await writeFileAtomic(f, 'one');
    } finally {
      process.umask(old);
    }
    expect((await fs.stat(f)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(f, 'two');
    expect(await fs.readFile(f, 'utf8')).toBe('two');
    expect(await fs.readdir(dir)).toEqual(['secret']);
    await fs.rm(dir, { recursive: true });
  });

  it('writes only on a real change, but fixes a wrong mode', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-aw-'));
    const f = path.join(dir, 'x');
    expect(await writeIfChanged(f, 'a', { mode: 0o600 })).toBe(true);
    const ino = (await fs.stat(f)).ino;
    expect(await writeIfChanged(f, 'a', { mode: 0o600 })).toBe(false);
    expect((await fs.stat(f)).ino).toBe(ino);
    await fs.chmod(f, 0o644);
    expect(await writeIfChanged(f, 'a', { mode: 0o600 })).toBe(true);
    expect((await fs.stat(f)).mode & 0o777).toBe(0o600);
    await fs.rm(dir, { recursive: true });
  });

  it('removes its temp file when the target cannot be replaced', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-aw-'));
    await fs.mkdir(path.join(dir, 'target'));
    await fs.writeFile(path.join(dir, 'target', 'inside'), 'x');
    await expect(writeFileAtomic(path.join(dir, 'target'), 'data')).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(['target']);
    await fs.rm(dir, { recursive: true });
  });
});
