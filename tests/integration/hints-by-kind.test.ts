/**
 * Issue 11, reproduction 8: normal outcomes never end with "report it" — a wrong typed
 * confirmation, an empty Enter and Ctrl-C at a prompt (on a real pseudo-terminal), Ctrl-C
 * during verify-db and during a backup (real processes, killed on an observed event). And the
 * reverse: a bug inside a check (a TypeError) is an internal error — exit 1, "report it", the
 * stack with --debug — not a failed check.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BIN, runCli, runMain } from '../helpers/project.js';
import { setupProjectsPerTest } from '../helpers/setup-db.js';
import { adminQuery } from '../helpers/pg.js';
import { filesIn, pgDumpWrapper } from './backup-fixtures.js';
import { appFixture, scratchDatabases, type AppFixture } from './verify-db-fixture.js';

// The injected bug: the version check's server_version read throws a TypeError (only in this
// process; the CLI children below run the real code).
vi.mock('../../src/lib/pg/client.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/lib/pg/client.js')>();
  return {
    ...real,
    serverVersion: (...args: Parameters<typeof real.serverVersion>) => {
      if (process.env.MCPCTL_TEST_BUG === '1') throw new TypeError("Cannot read properties of undefined (reading 'major')");
      return real.serverVersion(...args);
    },
  };
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  delete process.env.MCPCTL_TEST_BUG;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const project = setupProjectsPerTest();

async function fixture(): Promise<AppFixture> {
  const f = await appFixture();
  cleanups.push(() => f.cleanup());
  return f;
}

/** `mcpctl <args>` on a pty (util-linux `script`); `type` is written once `when` has appeared. */
function onPty(cwd: string, env: Record<string, string>, args: string[], when: RegExp, type: string): Promise<{ code: number | null; output: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd, env: { ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let typed = false;
  const onData = (d: Buffer) => {
    output += d.toString('utf8');
    if (!typed && when.test(output)) {
      typed = true;
      child.stdin.write(type);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, output });
    });
  });
}

describe('8. outcomes that are not bugs say what to do, never "report it"', () => {
  // CI must be unset, or mcpctl would (rightly) never ask.
  const cases: [string, string, RegExp][] = [
    ['a wrong typed confirmation', 'nope\r', /you typed "nope", not .*; nothing changed/],
    ['an empty Enter', '\r', /you typed "", not .*; nothing changed/],
    ['Ctrl-C at the prompt', '\x03', /cancelled; nothing changed/],
  ];
  it.each(cases)('setup-db --reset on a terminal: %s → exit 3, nothing dropped', async (_name, type, says) => {
    const p = await project();
    expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
    await adminQuery('CREATE TABLE keep_me (x int)', [], p.db);
    const { CI: _ci, ...env } = p.env;
    const r = await onPty(p.dir, env, ['setup-db', '--reset'], /Type \S+ to continue/, type);
    expect(r.output).toMatch(says);
    expect(r.code, r.output).toBe(3);
    expect(r.output).not.toMatch(/report it|--debug for details/);
    expect(await adminQuery("SELECT to_regclass('keep_me') IS NOT NULL AS x", [], p.db)).toEqual([{ x: true }]);
  });

  it('Ctrl-C during verify-db: exit 130, no "report it", no scratch database left', async () => {
    const f = await fixture();
    const child = spawn(process.execPath, [BIN, 'verify-db', '--debug'], { cwd: f.project.dir, env: { ...f.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('created scratch database')) {
        sent = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(sent, out).toBe(true);
    expect(code, out).toBe(130);
    expect(out).toContain('interrupted');
    expect(out).not.toMatch(/report it|--debug for details/);
    expect(await scratchDatabases(f.role)).toEqual([]);
  });

  it('Ctrl-C during a backup: exit 130, no "report it", no file left', async () => {
    const f = await fixture();
    // pg_dump finishes its output, then lingers: the temporary file is the observed event.
    const w = await pgDumpWrapper(f.project, 'if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\n"$REAL" "$@" && exec sleep 30');
    const child = spawn(process.execPath, [BIN, 'backup', '--dir', 'bk'], { cwd: f.project.dir, env: { CI: 'true', ...f.env, ...w.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    const dir = `${f.project.dir}/bk`;
    for (;;) {
      if ((await filesIn(dir)).some((n) => n.endsWith('.tmp'))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    expect(await exited, out).toBe(130);
    expect(out).toContain('interrupted');
    expect(out).not.toMatch(/report it|--debug for details/);
    expect(await filesIn(dir)).toEqual([]);
  }, 60_000);
});

describe('8. a bug inside a check is an internal error', () => {
  it('verify-db: exit 1, "internal error" with "report it", the stack with --debug; not a failed check', async () => {
    const f = await fixture();
    process.env.MCPCTL_TEST_BUG = '1';
    const r = await runMain(['verify-db', '--debug', '--only', 'reachable,version'], { cwd: f.project.dir, env: f.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("internal error: Cannot read properties of undefined (reading 'major')");
    expect(r.stderr).toMatch(/report it/);
    expect(r.stderr).toMatch(/TypeError: Cannot read properties[^\n]*\n\s+at /);
    // No report was printed as if the check had simply failed.
    expect(r.stdout).not.toMatch(/version/);
    const json = await runMain(['verify-db', '--json', '--only', 'reachable,version'], { cwd: f.project.dir, env: f.env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'internal' });
  });
});
