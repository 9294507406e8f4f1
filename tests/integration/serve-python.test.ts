// serve and verify-env share one interpreter resolver: the project's virtual environment, else
// python3 when `python` is absent. Real files, real children, the real cluster for serve's login.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerifyEnv } from '../../src/core/verify-env.js';
import { findVenv, pythonModule, resolveCommandInterpreter } from '../../src/lib/python.js';
import { runCli, runMain, tempProject, type TempProject } from '../helpers/project.js';
import { appRole, NODE } from './serve-helpers.js';

let role: Awaited<ReturnType<typeof appRole>>;
let p: TempProject;
beforeAll(async () => {
  role = await appRole();
});
afterAll(async () => {
  await role?.drop();
});

/** An executable shell script that prints its name and arguments. */
async function script(file: string, body: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

async function venv(dir: string, name = '.venv'): Promise<string> {
  await fs.mkdir(path.join(dir, name, 'bin'), { recursive: true });
  await fs.writeFile(path.join(dir, name, 'pyvenv.cfg'), 'home = /usr/bin\n');
  return script(path.join(dir, name, 'bin', 'python'), `if [ "$1" = --version ]; then echo "Python 3.12.1"; else echo "venv-python $*"; fi`);
}

/** A PATH holding only `sh`, `node` and the given extra folder: no python unless the test adds one. */
async function barePath(root: string): Promise<{ PATH: string; bin: string }> {
  const bin = path.join(root, 'barebin');
  await fs.mkdir(bin, { recursive: true });
  await fs.symlink('/bin/sh', path.join(bin, 'sh'));
  await fs.symlink(NODE, path.join(bin, 'node'));
  return { PATH: bin, bin };
}

describe('the interpreter resolver', () => {
  beforeAll(async () => {
    p = await tempProject();
  });
  afterAll(async () => p?.cleanup());

  it('prefers .venv, then venv, then VIRTUAL_ENV; other commands are untouched', async () => {
    const { PATH, bin } = await barePath(p.home);
    await script(path.join(bin, 'python3'), 'echo py3');
    expect(await findVenv(p.dir, { PATH })).toBeUndefined();
    const other = path.join(p.home, 'other-venv');
    const otherPy = await venv(p.home, 'other-venv');
    expect((await resolveCommandInterpreter(['python', '-m', 'x'], p.dir, { PATH, VIRTUAL_ENV: other })).argv).toEqual([otherPy, '-m', 'x']);
    const venvPy = await venv(p.dir, 'venv');
    expect((await resolveCommandInterpreter(['python3', '-m', 'x'], p.dir, { PATH, VIRTUAL_ENV: other })).argv).toEqual([venvPy, '-m', 'x']);
    const dotVenvPy = await venv(p.dir);
    const r = await resolveCommandInterpreter(['python', '-m', 'x'], p.dir, { PATH });
    expect(r).toMatchObject({ argv: [dotVenvPy, '-m', 'x'], isPython: true, program: dotVenvPy });
    expect(r.venv?.label).toBe('.venv');
    expect((await resolveCommandInterpreter(['node', 'x.js'], p.dir, { PATH })).argv).toEqual(['node', 'x.js']);
    await fs.rm(path.join(p.dir, '.venv'), { recursive: true });
    await fs.rm(path.join(p.dir, 'venv'), { recursive: true });
  });

  it('runs python3 with a note when python is absent; reports nothing found when neither is there', async () => {
    const { PATH, bin } = await barePath(path.join(p.home, 'b2'));
    expect(await resolveCommandInterpreter(['python', '-m', 'x'], p.dir, { PATH })).toMatchObject({ program: undefined, isPython: true });
    const py3 = await script(path.join(bin, 'python3'), 'echo py3');
    const r = await resolveCommandInterpreter(['python', '-m', 'x'], p.dir, { PATH });
    expect(r).toMatchObject({ argv: ['python3', '-m', 'x'], program: py3 });
    expect(r.note).toMatch(/no `python` on PATH: using python3/);
  });

  it('finds the module of python -m', () => {
    expect(pythonModule(['python', '-m', 'codebase_mcp.server'])).toBe('codebase_mcp.server');
    expect(pythonModule(['python', '-u', '-mpkg.main', '--x'])).toBe('pkg.main');
    expect(pythonModule(['python', '-X', 'dev', '-m', 'a'])).toBe('a');
    expect(pythonModule(['python', 'server.py', '-m', 'a'])).toBeUndefined();
  });
});

describe('serve and verify-env agree on the interpreter', () => {
  it("serve runs the project's .venv python; verify-env checks that same one", async () => {
    const proj = await tempProject();
    try {
      const venvPy = await venv(proj.dir);
      const env = { ...proj.env, ...role.env };
      const r = await runCli(['serve', '--', 'python', '-m', 'my_server', '--flag'], { cwd: proj.dir, env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('venv-python -m my_server --flag\n');
      const v = await runVerifyEnv({ ctx: proj.ctx({ env: { ...env, MCP_SERVER_COMMAND: 'python -m my_server' } }) });
      const venvCheck = v.checks.find((c) => c.name === 'venv')!;
      expect(venvCheck).toMatchObject({ status: 'pass', message: 'virtual environment .venv' });
      // The fake interpreter is the one asked about the version and the module.
      expect(v.checks.find((c) => c.name === 'python')!).toMatchObject({ status: 'pass', message: expect.stringContaining('python 3.12.1 (.venv/bin/python') });
      expect(v.checks.find((c) => c.name === 'server-command')!.message).toContain(venvPy);
    } finally {
      await proj.cleanup();
    }
  });

  it('with only python3 on PATH (stock Debian), serve starts python3 and says so on stderr; stdout stays the child’s', async () => {
    const proj = await tempProject();
    try {
      const { PATH, bin } = await barePath(proj.home);
      await script(path.join(bin, 'python3'), 'echo "python3 $*"');
      const r = await runCli(['serve', '--', 'python', '-m', 'workflow_mcp.server'], { cwd: proj.dir, env: { ...proj.env, ...role.env, PATH } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('python3 -m workflow_mcp.server\n');
      expect(r.stderr).toMatch(/no `python` on PATH: using python3/);
    } finally {
      await proj.cleanup();
    }
  });

  it('no Python at all: exits 1 before waiting for the database, with a hint that is not "python -m" again', async () => {
    const proj = await tempProject();
    try {
      const { PATH } = await barePath(proj.home);
      // An unreachable database: serve must not wait for it when the command cannot start anyway.
      const r = await runMain(['serve', '--wait', '30'], { cwd: proj.dir, env: { ...proj.env, ...role.env, POSTGRES_PORT: '1', PATH } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot start python: command not found/);
      expect(r.stderr).toMatch(/hint: install Python 3, or create the project's virtual environment/);
      expect(r.stderr).not.toMatch(/waiting for PostgreSQL/);
    } finally {
      await proj.cleanup();
    }
  });
});

describe('serve passes stdin and stdout through byte for byte', () => {
  it('echoes 1 MiB of random bytes (every byte value, CR, LF, NUL) unchanged, and writes nothing of its own to stdout', async () => {
    const { spawn } = await import('node:child_process');
    const { randomBytes } = await import('node:crypto');
    const { BIN } = await import('../helpers/project.js');
    const proj = await tempProject();
    try {
      const input = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20)]);
      const child = spawn(NODE, [BIN, 'serve', '--debug', '--', NODE, '-e', 'process.stdin.pipe(process.stdout)'], {
        cwd: proj.dir,
        env: { ...proj.env, ...role.env, CI: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      child.stdin.end(input);
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code).toBe(0);
      expect(Buffer.concat(chunks).equals(input)).toBe(true);
      // --debug lines went to stderr, none to stdout.
      expect(stderr).toMatch(/debug:/);
    } finally {
      await proj.cleanup();
    }
  });
});
