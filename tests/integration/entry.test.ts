// bin/mcpctl.js answers --version and the top-level help without loading the CLI (a start-up
// cost measured in `npm run bench`): what it prints must be exactly what the CLI itself prints.
import { execFile, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, runCli } from '../helpers/project.js';

const CLI = path.join(REPO_ROOT, 'dist', 'bundle', 'cli.js');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() };

/** Runs `node <entry> <args>` on a pseudo-terminal of `columns` columns; returns what it printed. */
function onTerminal(entry: string, args: string[], columns: number): string {
  const script = `
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace('\\r\\n', '\\n'))
`;
  // The window size is set by a wrapper that runs in the child before exec (stty on the pty).
  const sized = ['/bin/sh', '-c', `stty cols ${columns} rows 40 && exec "$0" "$@"`, process.execPath, entry, ...args];
  return execFileSync('python3', ['-c', script, ...sized], { env, encoding: 'utf8' });
}

describe('bin/mcpctl.js', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag], { cwd: os.tmpdir(), env });
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('--help, -h and help print exactly the page the CLI renders, with its examples', async () => {
    const own = execFileSync(process.execPath, [CLI, '--help'], { env, encoding: 'utf8' });
    expect(own).toContain('Usage: mcpctl');
    expect(own).toContain('Examples:');
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await runCli(args, { cwd: os.tmpdir(), env });
      expect(r).toEqual({ code: 0, stdout: own, stderr: '' });
    }
  });

  it('on a terminal of another width, the help is wrapped to that width as the CLI wraps it', () => {
    const wide = onTerminal(BIN, ['--help'], 132);
    expect(wide).toBe(onTerminal(CLI, ['--help'], 132));
    expect(Math.max(...wide.split('\n').map((l) => l.length))).toBeGreaterThan(80);
    expect(onTerminal(BIN, ['--help'], 80)).toBe(onTerminal(CLI, ['--help'], 80));
  });

  it('a checkout without dist/ says how to build it (exit 2), not a stack trace', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-entry-'));
    dirs.push(root);
    await fs.mkdir(path.join(root, 'bin'));
    for (const f of ['bin/mcpctl.js', 'bin/package.json', 'package.json']) await fs.copyFile(path.join(REPO_ROOT, f), path.join(root, f));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(root, 'bin', 'mcpctl.js'), 'verify-env'], { env }, (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mcpctl: dist/bundle/ is not built in this checkout: run `npm run build` first\n');
  });
});
