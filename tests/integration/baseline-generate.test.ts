import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER, runGenerateRepo } from '../../src/commands/baseline/generate.js';
import { treeDigest } from '../../src/commands/baseline/tree-digest.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';

/** The repository for --files 100 --seed 42. A change here means every user's baseline repository changed: bump GENERATOR_VERSION. */
const PINNED_100_42 = '9829d657d9cf84cf52e065aaf80d4671d49bf1ccade53ce290cd81fe2b91ab5f';

let p: TempProject;
beforeAll(async () => {
  p = await tempProject();
});
afterAll(async () => {
  await p.cleanup();
});

const gen = (args: string[]) => runMain(['baseline', 'generate-repo', ...args], { cwd: p.dir, env: p.env });

describe('baseline generate-repo', () => {
  it('gives the pinned digest for --files 100 --seed 42, recomputable from the files on disk', async () => {
    const r = await gen(['--files', '100', '--seed', '42', '--out', 'r100', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, files: 100, seed: '42', digest: PINNED_100_42, action: 'created' });
    const disk = await treeDigest(path.join(p.dir, 'r100'), new Set([MARKER]));
    expect(disk).toEqual({ digest: PINNED_100_42, files: 100, bytes: doc.bytes });
    const marker = JSON.parse(await p.read(`r100/${MARKER}`));
    expect(marker).toMatchObject({ files: 100, seed: '42', complete: true, digest: PINNED_100_42 });
  });

  it('writes Python that compiles', async () => {
    // compile() in memory: no __pycache__ is written into the tree (that would change its digest).
    const script = 'import pathlib,sys\nn=0\nfor f in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):\n    compile(f.read_text(), str(f), "exec"); n+=1\nprint(n)';
    const { stdout } = await promisify(execFile)('python3', ['-c', script, path.join(p.dir, 'r100')]);
    expect(stdout.trim()).toBe('100');
  });

  it('is idempotent for the same arguments, and prints the digest', async () => {
    const before = (await fs.stat(path.join(p.dir, 'r100', MARKER))).mtimeMs;
    const r = await gen(['--files', '100', '--seed', '42', '--out', 'r100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing written');
    expect(r.stdout).toContain(`sha256:${PINNED_100_42}`);
    expect((await fs.stat(path.join(p.dir, 'r100', MARKER))).mtimeMs).toBe(before);
  });

  it('refuses other arguments or edited files without --force (exit 2), and regenerates cleanly with it', async () => {
    const other = await gen(['--files', '100', '--seed', '43', '--out', 'r100']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/generated with --files 100 --seed 42/);
    expect(other.stderr).toMatch(/--force/);

    const files = (await fs.readdir(path.join(p.dir, 'r100'), { recursive: true })).filter((f) => String(f).endsWith('.py'));
    await fs.appendFile(path.join(p.dir, 'r100', String(files[0])), '# edited\n');
    const edited = await gen(['--files', '100', '--seed', '42', '--out', 'r100']);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/changed since they were generated/);
    const repaired = await gen(['--files', '100', '--seed', '42', '--out', 'r100', '--force', '--json']);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ digest: PINNED_100_42, action: 'replaced' });

    await fs.writeFile(path.join(p.dir, 'r100', 'stray.txt'), 'x');
    const replaced = await gen(['--files', '30', '--seed', '43', '--out', 'r100', '--force', '--json']);
    expect(replaced.code).toBe(0);
    const doc = JSON.parse(replaced.stdout);
    expect(doc.action).toBe('replaced');
    expect(await treeDigest(path.join(p.dir, 'r100'), new Set([MARKER]))).toMatchObject({ digest: doc.digest, files: 30 });
  });

  it('refuses a non-empty folder it did not make, and a file, with exit 2 and nothing written', async () => {
    await p.write('mine/keep.txt', 'precious');
    const r = await gen(['--files', '5', '--out', 'mine']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not empty and was not made by mcpctl/);
    expect(await fs.readdir(path.join(p.dir, 'mine'))).toEqual(['keep.txt']);
    await p.write(`fake/${MARKER}`, 'not json');
    expect((await gen(['--files', '5', '--out', 'fake'])).code).toBe(2);
    await p.write('afile', 'x');
    const f = await gen(['--files', '5', '--out', 'afile']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/not a folder/);
  });

  it('replaces an interrupted generation (incomplete marker) without --force', async () => {
    const ctl = new AbortController();
    const ctx = p.ctx({ signal: ctl.signal });
    await expect(
      runGenerateRepo({ ctx, events: (e) => (e.done >= 10 ? ctl.abort() : undefined) }, { files: 500, out: 'cut', seed: 'x' }),
    ).rejects.toMatchObject({ exitCode: 130 });
    expect(JSON.parse(await p.read(`cut/${MARKER}`))).toMatchObject({ complete: false });
    const again = await runGenerateRepo({ ctx: p.ctx(), events: () => {} }, { files: 500, out: 'cut', seed: 'x' });
    expect(again.action).toBe('replaced');
    expect((await treeDigest(path.join(p.dir, 'cut'), new Set([MARKER]))).digest).toBe(again.digest);
  });

  it('rejects a bad --files (exit 2)', async () => {
    expect((await gen(['--files', '0', '--out', 'z'])).code).toBe(2);
    expect((await gen(['--files', 'ten', '--out', 'z'])).code).toBe(2);
    expect((await gen(['--files', '3'])).code).toBe(2);
    await expect(runGenerateRepo({ ctx: p.ctx(), events: () => {} }, { files: 1.5, out: 'z' })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('10,000 files: the same digest twice, another seed another digest', async () => {
    // On tmpfs when there is one: this test is about bytes, not about the disk.
    const tmp = await fs.mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'mcpctl-genrepo-'));
    try {
      const ctx = p.ctx({ cwd: tmp });
      const progress: number[] = [];
      const a = await runGenerateRepo({ ctx, events: (e) => progress.push(e.done) }, { files: 10_000, out: 'a', seed: 'bench' });
      expect(progress.at(-1)).toBe(10_000);
      expect((await treeDigest(path.join(tmp, 'a'), new Set([MARKER])))).toMatchObject({ digest: a.digest, files: 10_000 });
      await fs.rm(path.join(tmp, 'a'), { recursive: true });
      const b = await runGenerateRepo({ ctx, events: () => {} }, { files: 10_000, out: 'b', seed: 'bench' });
      expect(b.digest).toBe(a.digest);
      await fs.rm(path.join(tmp, 'b'), { recursive: true });
      const c = await runGenerateRepo({ ctx, events: () => {} }, { files: 10_000, out: 'c', seed: 'other' });
      expect(c.digest).not.toBe(a.digest);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
