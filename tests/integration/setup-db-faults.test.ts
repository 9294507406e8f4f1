/**
 * "Never locked out", by fault injection: the CLI runs with --debug as a child; when its
 * output shows that a given step has started (an observed event, never a sleep) it is killed
 * with SIGKILL, SIGINT or SIGTERM. Then the invariant: the stored password logs in, or a
 * plain re-run makes it log in — and after that re-run, verify-db passes. At every step
 * boundary of a first run and of `setup-db --rotate-password`.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropAll } from '../helpers/pg.js';
import { BIN, runCli } from '../helpers/project.js';
import { envLocalPassword, psqlWithPgpass, setupProject, tryLogin, type SetupProject } from '../helpers/setup-db.js';

type Sig = 'SIGKILL' | 'SIGINT' | 'SIGTERM';
const SIGNALS: Sig[] = ['SIGKILL', 'SIGINT', 'SIGTERM'];

/** Runs setup-db and kills it when the --debug line of step `kind` (its n-th occurrence) appears. */
function runAndKill(p: SetupProject, args: string[], kind: string, sig: Sig, nth = 1): Promise<{ code: number | null; signal: string | null; stderr: string; seen: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'setup-db', '--debug', ...args], { cwd: p.dir, env: { CI: 'true', ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let seen = false;
    const re = new RegExp(`debug: step \\d+/\\d+ ${kind}:`, 'g');
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (!seen && (stderr.match(re)?.length ?? 0) >= nth) {
        seen = true;
        child.kill(sig);
      }
    });
    child.stdout.resume();
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, seen }));
  });
}

/** Both credential files log in (libpq's psql for the password file). */
async function filesLogIn(p: SetupProject): Promise<boolean> {
  const pw = await envLocalPassword(p).catch(() => undefined);
  if (!pw || (await tryLogin(p, pw, p.db)) !== true) return false;
  return (await psqlWithPgpass(p, p.db)).code === 0;
}

async function assertInvariant(p: SetupProject, label: string): Promise<'held' | 'repaired'> {
  let how: 'held' | 'repaired' = 'held';
  if (!(await filesLogIn(p))) {
    how = 'repaired';
    const again = await runCli(['setup-db'], { cwd: p.dir, env: p.env, timeoutMs: 30_000 });
    expect(again.code, `${label}: re-run: ${again.stderr}`).toBe(0);
  }
  // Whatever happened, a plain re-run finishes the job and verify-db passes.
  const fin = await runCli(['setup-db'], { cwd: p.dir, env: p.env, timeoutMs: 30_000 });
  expect(fin.code, `${label}: ${fin.stderr}`).toBe(0);
  expect(await filesLogIn(p), label).toBe(true);
  const v = await runCli(['verify-db'], { cwd: p.dir, env: p.env, timeoutMs: 30_000 });
  expect(v.code, `${label}: verify-db: ${v.stderr}`).toBe(0);
  // No staged or temporary file is left beside the credential files.
  for (const dir of [p.dir, p.home]) expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')), label).toEqual([]);
  return how;
}

const projects: SetupProject[] = [];
afterAll(async () => {
  for (const p of projects) {
    await dropAll({ databases: [p.db, p.testDb], roles: [p.user] });
    await p.cleanup();
  }
});

describe('setup-db --rotate-password killed at every step', () => {
  let p: SetupProject;
  beforeAll(async () => {
    p = await setupProject({ files: { 'migrations/001_t.sql': 'CREATE TABLE t (x int);\n' } });
    projects.push(p);
    expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
  });
  const steps = ['write-pending', 'set-password', 'write-files', 'clear-pending'];
  for (const sig of SIGNALS) {
    it.each(steps)(`${sig} at %s`, async (kind) => {
      const r = await runAndKill(p, ['--rotate-password'], kind, sig);
      expect(r.seen, r.stderr).toBe(true);
      if (sig !== 'SIGKILL') {
        // Ctrl-C/SIGTERM inside the credential step finish it, then report exactly that.
        expect([0, 130], `${r.code} ${r.signal} ${r.stderr}`).toContain(r.code);
        expect(await filesLogIn(p), r.stderr).toBe(true);
      }
      await assertInvariant(p, `${sig} at ${kind}`);
    });
  }
});

describe('a first setup-db run killed at every step', () => {
  const steps: [string, number][] = [
    ['write-pending', 1],
    ['create-role', 1],
    ['write-files', 1],
    ['clear-pending', 1],
    ['create-database', 1],
    ['create-database', 2],
    ['migrate', 1],
    ['migrate', 2],
  ];
  for (const sig of SIGNALS) {
    it.each(steps)(`${sig} at %s #%i`, async (kind, nth) => {
      const p = await setupProject({ files: { 'migrations/001_t.sql': 'CREATE TABLE t (x int);\n' } });
      projects.push(p);
      const r = await runAndKill(p, [], kind, sig, nth);
      expect(r.seen, r.stderr).toBe(true);
      if (sig !== 'SIGKILL' && r.code === 130) {
        expect(r.stderr).not.toContain('report it');
        expect(r.stderr).toMatch(/interrupted (before|during)/);
      }
      await assertInvariant(p, `${sig} at ${kind} #${nth}`);
    });
  }
});
