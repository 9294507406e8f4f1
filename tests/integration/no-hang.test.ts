/**
 * "No hang, ever": every failure path of the CLI that talks to PostgreSQL, run as a real child
 * process, must end by itself with the contract's exit code. runCli kills a process that is
 * still alive after the timeout and reports HUNG (-1), which no expectation below accepts. The
 * default sslmode (prefer, against a server without TLS) is kept where it matters: its plain
 * retry is the path that once leaked an open connection. No failure here is a bug, so none
 * may say "report it".
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, dropAll } from '../helpers/pg.js';
import { HUNG, runCli } from '../helpers/project.js';
import { setupProject, type SetupProject } from '../helpers/setup-db.js';

const TIMEOUT_MS = 20_000;
const WRONG = 'wrong-password-0123456789abcdef';

let p: SetupProject;
const projects: SetupProject[] = [];
beforeAll(async () => {
  // A project whose role and databases exist, then a password that no longer logs in.
  p = await setupProject();
  projects.push(p);
  expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
  const c = await adminClient();
  await c.query(`ALTER ROLE "${p.user}" PASSWORD 'someone-changed-it-0123456789'`);
  await c.end();
  await fs.writeFile(p.pgpass, '', { mode: 0o600 });
  // A backup file that restore would accept, had the login worked.
  await p.write(`backups/${p.db}_20260101_000000.sql`, 'SELECT 1;\n');
});
afterAll(async () => {
  for (const x of projects) {
    await dropAll({ databases: [x.db, x.testDb], roles: [x.user] });
    await x.cleanup();
  }
});

interface Case {
  name: string;
  args: string[];
  env?: (p: SetupProject) => Record<string, string | undefined>;
  /** A fresh project with these files instead of the shared one. */
  fresh?: Record<string, string>;
  code: number;
  says: RegExp;
}

const prefer = { POSTGRES_SSLMODE: undefined };
const refused = { POSTGRES_PORT: '1', POSTGRES_HOST: '127.0.0.1' };
const cases: Case[] = [
  { name: 'setup-db: stale stored password (sslmode=prefer plain retry)', args: ['setup-db'], env: () => prefer, code: 3, says: /none of the stored passwords logs in/ },
  { name: 'setup-db --dry-run: stale stored password', args: ['setup-db', '--dry-run'], env: () => prefer, code: 0, says: /would refuse \(exit 3\)/ },
  { name: 'setup-db: wrong admin password', args: ['setup-db'], env: () => ({ SETUP_POSTGRES_PASSWORD: WRONG }), code: 1, says: /admin role .* could not log in|SETUP_POSTGRES_PASSWORD is set but is not/ },
  { name: 'setup-db: nothing listens on the port', args: ['setup-db'], env: () => refused, code: 1, says: /connection refused/ },
  { name: 'setup-db: a migration fails', args: ['setup-db'], fresh: { 'migrations/001_bad.sql': 'CREATE TABLE t (x int);\nSELECT 1/0;\n' }, code: 1, says: /001_bad\.sql failed .*division by zero/ },
  { name: 'setup-db: a migration controls its transaction', args: ['setup-db'], fresh: { 'migrations/001_tx.sql': 'BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;\n' }, code: 1, says: /001_tx\.sql:1: BEGIN/ },
  { name: 'setup-db --reset without confirmation', args: ['setup-db', '--reset'], code: 3, says: /--confirm/ },
  { name: 'verify-db: stale password', args: ['verify-db'], env: () => prefer, code: 1, says: /password authentication failed/ },
  { name: 'verify-db: nothing listens', args: ['verify-db'], env: () => refused, code: 1, says: /connection refused/ },
  { name: 'backup: stale password', args: ['backup'], env: () => ({ ...prefer, POSTGRES_PASSWORD: WRONG }), code: 1, says: /password authentication failed/ },
  { name: 'backup: nothing listens', args: ['backup'], env: () => ({ ...refused, POSTGRES_PASSWORD: WRONG }), code: 1, says: /connection refused/ },
  {
    name: 'backup restore: stale password',
    args: ['backup', 'restore', 'backups/x', '--db', 'x', '--confirm', 'x'],
    env: () => ({ ...prefer, POSTGRES_PASSWORD: WRONG }),
    code: 1,
    says: /password authentication failed/,
  },
  { name: 'serve --wait: stale password stops at once', args: ['serve', '--wait', '30', '--', 'true'], env: () => ({ ...prefer, POSTGRES_PASSWORD: WRONG }), code: 1, says: /password authentication failed/ },
  { name: 'serve --wait 2: nothing listens, gives up at the deadline', args: ['serve', '--wait', '2', '--', 'true'], env: () => ({ ...refused, POSTGRES_PASSWORD: WRONG }), code: 1, says: /did not accept the login within 2 s/ },
  { name: 'verify-env: nothing listens', args: ['verify-env'], env: () => refused, code: 1, says: /fail/ },
];

describe('every failure path ends by itself', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    let proj = p;
    if (c.fresh) {
      proj = await setupProject({ files: c.fresh });
      projects.push(proj);
    }
    const env = { ...proj.env, ...(c.env?.(proj) ?? {}) } as Record<string, string | undefined>;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const args = c.args.map((a) => (a === 'backups/x' ? path.join('backups', `${proj.db}_20260101_000000.sql`) : a === 'x' ? proj.db : a));
    const t0 = Date.now();
    const r = await runCli(args, { cwd: proj.dir, env: env as Record<string, string>, timeoutMs: TIMEOUT_MS });
    expect(r.code, r.stderr).not.toBe(HUNG);
    expect(r.code, r.stderr).toBe(c.code);
    // Reports (verify-db, --dry-run) go to stdout, errors to stderr.
    expect(r.stdout + r.stderr).toMatch(c.says);
    expect(r.stdout + r.stderr).not.toMatch(/report it/);
    // serve --wait 30 must not have waited: a permanent refusal ends the wait at once.
    if (c.args.includes('30')) expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
