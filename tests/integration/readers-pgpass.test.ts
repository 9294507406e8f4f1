/**
 * Differential tests: mcpctl's password-file reader against libpq (a real connection to the
 * test cluster plus the password libpq took, byte for byte) and its model of asyncpg against
 * asyncpg's own reader, on generated files; then mcpctl's writer: libpq, asyncpg (real connects)
 * and mcpctl must all read the new entries back. A disagreement prints a minimal reproduction.
 * Seed: MCPCTL_TEST_SEED. `psql -w` with PGPASSFILE judges a seeded sample of the same cases.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/lib/cli/errors.js';
import { generatePassword } from '../../src/commands/setup-db/password.js';
import { asyncpgLookup, asyncpgRows, libpqLookup } from '../../src/lib/config/pgpass-libpq.js';
import { lookupPgpass, mergePgpassChecked, pgpassHost } from '../../src/lib/config/pgpass.js';
import { probeLibpqSocketDir } from '../../src/lib/process/libpq-socket.js';
import { Prng } from '../../src/commands/baseline/prng.js';
import { scramVerifier } from '../../src/commands/setup-db/scram.js';
import { generatePgpassFiles, type PgpassKeyCase } from '../helpers/gen-pgpass.js';
import { adminClient, harness } from '../helpers/pg.js';
import { judge, judgesAvailable, psqlJudge, type ConnectCase } from '../helpers/judges.js';

const SEED = process.env.MCPCTL_TEST_SEED ?? 'pgpass-2026';
const missing = await judgesAvailable();
if (missing && !process.env.CI) console.warn(`password files: differential tests skipped (${missing}); CI fails instead`);
const h = harness();
const prefix = `pj${randomBytes(3).toString('hex')}_`;
const roles: string[] = [];
let dir: string;

const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;
const ql = (s: string) => `'${s.replace(/'/g, "''")}'`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-pgpass-judge-'));
});
afterAll(async () => {
  const c = await adminClient();
  try {
    for (const r of roles) await c.query(`DROP ROLE IF EXISTS ${qi(r)}`);
  } finally {
    await c.end();
  }
  await fs.rm(dir, { recursive: true, force: true });
});

const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * Creates (or re-passwords) one role per key, in one transaction. A printable-ASCII password
 * is stored as a SCRAM verifier with 16 iterations instead of PostgreSQL 15's fixed 4096: the
 * clients take the count from the server, and asyncpg computes it in a Python loop, which
 * would make 200 connections take seconds. Which password a client sends is what is judged;
 * other passwords need the server's SASLprep, so the server computes theirs.
 */
async function setRoles(list: { user: string; password: string }[]): Promise<void> {
  const c = await adminClient();
  try {
    await c.query('BEGIN');
    for (const { user, password } of list) {
      if (!roles.includes(user)) roles.push(user);
      await c.query(`DO $$BEGIN CREATE ROLE ${qi(user)} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$`);
      await c.query(`ALTER ROLE ${qi(user)} LOGIN PASSWORD ${ql(PRINTABLE.test(password) ? scramVerifier(password, { iterations: 16 }) : password)}`);
    }
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
}

async function writeFiles(list: Buffer[], tag: string): Promise<string[]> {
  return Promise.all(
    list.map(async (b, i) => {
      const f = path.join(dir, `${tag}-${i}`);
      await fs.writeFile(f, b, { mode: 0o600 });
      return f;
    }),
  );
}

const def = probeLibpqSocketDir(process.env);
const tokensOf = (k: PgpassKeyCase) => ({ host: pgpassHost(k.host, def), port: String(k.port), database: k.database, user: k.user });
/** The password as SQL can set it (UTF-8, no NUL), else undefined. */
const utf8 = (b: Buffer) => {
  if (b.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
};

/** What mcpctl predicts each reader takes from the file (libpq: hex bytes; asyncpg: text or error). */
function predict(bytes: Buffer, key: PgpassKeyCase) {
  const hit = libpqLookup(bytes, tokensOf(key));
  const rows = asyncpgRows(bytes);
  const a = rows ? asyncpgLookup(rows, { ...key, port: String(key.port) }) : 'undecodable';
  return {
    libpq: hit ? hit.password.toString('hex') : '',
    asyncpg: a === 'undecodable' ? { readerError: 'UnicodeDecodeError' } : a === 'crash' ? { readerError: 'ValueError' } : { password: a ? a.password : null },
  };
}

/**
 * `psql -w` on every `every`-th case (a process each, where libpq through ctypes costs a
 * connection only: all of them are judged by libpq itself); undefined for the others.
 */
async function psqlSample(cases: ConnectCase[], every: number) {
  const picked = cases.flatMap((c, i) => (i % every === 0 ? [i] : []));
  const verdicts = await psqlJudge(picked.map((i) => cases[i]!));
  const out: (Awaited<ReturnType<typeof psqlJudge>>[number] | undefined)[] = new Array(cases.length);
  picked.forEach((i, k) => (out[i] = verdicts[k]));
  return out;
}

/**
 * Judges a list of (file, key): libpq (a connection and PQpass), asyncpg's reader, and
 * `psql -w` itself on every `psqlEvery`-th case (in parallel with the others).
 */
async function judgeFiles(items: { bytes: Buffer; key: PgpassKeyCase }[], tag: string, opts: { psqlEvery?: number; connect?: boolean } = {}) {
  const files = await writeFiles(items.map((i) => i.bytes), tag);
  const cases: ConnectCase[] = items.map((it, i) => ({ ...it.key, passfile: files[i]!, ...(opts.connect ? { connect: true } : {}) }));
  const [v, psql] = await Promise.all([judge({ libpq: cases, asyncpg: cases }), psqlSample(cases, opts.psqlEvery ?? Infinity)]);
  return { ...v, psql };
}

function disagree(p: ReturnType<typeof predict>, libpqPw: string, asy: { password?: string | null; readerError?: string }): boolean {
  return p.libpq !== libpqPw || JSON.stringify(p.asyncpg) !== JSON.stringify(asy.readerError ? { readerError: asy.readerError } : { password: asy.password });
}

/** Drops lines while the disagreement stays. */
async function minimize(bytes: Buffer, key: PgpassKeyCase): Promise<Buffer> {
  let cur = bytes;
  for (let round = 0; round < 20; round++) {
    const lines = cur.toString('latin1').split('\n');
    if (lines.length < 2) break;
    const cands = lines.map((_, i) => Buffer.from(lines.filter((__, j) => j !== i).join('\n'), 'latin1'));
    const v = await judgeFiles(cands.map((bytes) => ({ bytes, key })), `min${round}`);
    const k = cands.findIndex((c, i) => disagree(predict(c, key), v.libpq![i]!.password, v.asyncpg![i]!));
    if (k === -1) break;
    cur = cands[k]!;
  }
  return cur;
}

const show = (b: Buffer) => JSON.stringify(b.toString('latin1')).replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);

describe.skipIf(missing !== undefined && !process.env.CI)(`password files: libpq and asyncpg are the judges (seed ${SEED})`, () => {
  // Locally, a machine without the judges skips this suite with a warning on stderr; in CI
  // it fails here, naming what to install, instead of passing without judging anything.
  it('has its judges installed (python3-dotenv, python3-asyncpg, libpq5 for /usr/bin/python3)', () => {
    expect(missing, 'the differential tests cannot run; .ci/run installs: apt-get install python3-dotenv python3-asyncpg libpq5').toBeUndefined();
  });

  it('reads 250 generated files exactly as libpq does (libpq connecting to the test cluster for each, psql -w for a third), and models asyncpg exactly (its reader and its connection)', async () => {
    const cases = generatePgpassFiles(SEED, 250, { socketDir: h.socketDir, port: h.port, userPrefix: prefix, defaultSocketDir: def });
    const predicted = cases.map((c) => predict(c.bytes, c.key));
    // Each role's password is what mcpctl says libpq takes: libpq logs in exactly when it agrees.
    const rolePw = cases.map((c, i) => utf8(Buffer.from(predicted[i]!.libpq, 'hex')) || `unused-${randomBytes(8).toString('hex')}`);
    await setRoles(cases.map((c, i) => ({ user: c.key.user, password: rolePw[i]! })));
    const v = await judgeFiles(cases, 'case', { psqlEvery: 3, connect: true });
    const bad: string[] = [];
    for (const c of cases) {
      const p = predicted[c.id]!;
      const lp = v.libpq![c.id]!;
      const ps = v.psql[c.id];
      const pw = Buffer.from(p.libpq, 'hex');
      const want = c.key.host === def ? lp.connect : pw.length && utf8(pw) !== undefined ? 'ok' : pw.length ? 'badpassword' : 'nopassword';
      const mine = lookupPgpass(c.bytes, c.key, { defaultSocketDir: def });
      const mineOk = mine === (pw.length ? utf8(pw) : undefined);
      // asyncpg's real connection logs in exactly when the password mcpctl predicts for it is the
      // role's; without one it still tries SCRAM with an empty password (a failed login, not "no password").
      const ap = v.asyncpg![c.id]!;
      const apWant = c.key.host === def ? ap.connect : 'readerError' in p.asyncpg ? 'error' : p.asyncpg.password === rolePw[c.id] ? 'ok' : 'badpassword';
      if (!disagree(p, lp.password, ap) && lp.connect === want && (!ps || ps.connect === want) && ap.connect === apWant && mineOk) continue;
      const min = await minimize(c.bytes, c.key);
      const again = await judgeFiles([{ bytes: min, key: c.key }], 'again', { psqlEvery: 1, connect: true });
      bad.push(
        `case ${c.id}: key ${JSON.stringify(c.key)} file ${show(min)}\n  libpq:   ${JSON.stringify(again.libpq![0])} (connect on the full file: ${lp.connect}, expected ${want})\n` +
          `  psql -w: ${JSON.stringify(again.psql[0])} (on the full file: ${ps?.connect ?? 'not sampled'})\n` +
          `  asyncpg: ${JSON.stringify(again.asyncpg![0])} (connect on the full file: ${ap.connect}, expected ${apWant})\n  mcpctl:  ${JSON.stringify(predict(min, c.key))}`,
      );
      if (bad.length >= 5) break;
    }
    expect(bad, `disagreements (reproduce: MCPCTL_TEST_SEED=${SEED}):\n${bad.join('\n')}`).toEqual([]);
  });

  it('writes entries that libpq, asyncpg, psql -w (a quarter) and mcpctl all read back (200 generated cases, real connections)', async () => {
    const r = new Prng(`${SEED}-writer`);
    const bases = generatePgpassFiles(`${SEED}-bases`, 60, { socketDir: h.socketDir, port: h.port, userPrefix: `${prefix}b`, defaultSocketDir: def });
    const items: { key: PgpassKeyCase; password: string; out: Buffer; warnings: string[] }[] = [];
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const user = `${prefix}w${i}`;
      const key: PgpassKeyCase = { host: r.pick([h.socketDir, h.socketDir, '127.0.0.1', 'localhost']), port: h.port, database: r.pick(['db', 'app_db', 'é', 'x y']), user };
      const password = r.chance(60) ? generatePassword() : r.pick(['pw with space', 'é😀#*', 'a:b', 'back\\slash', ' lead', 'p$${x}"\'', 'new\nline', 'tab\there']) + r.int(1000);
      const base = bases[i % bases.length]!;
      // The base's own lines aim at another key with the same user: they must not win.
      const baseBytes = Buffer.from(base.bytes.toString('latin1').split(base.key.user).join(user), 'latin1');
      try {
        const res = mergePgpassChecked(baseBytes, [{ ...key, password }, { ...key, database: `${key.database}_test`, password }], { defaultSocketDir: def });
        items.push({ key, password, out: res.data, warnings: res.warnings });
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(items.length).toBeGreaterThan(120);
    await setRoles(items.map((it) => ({ user: it.key.user, password: it.password })));
    const files = await writeFiles(items.map((it) => it.out), 'written');
    const cases: ConnectCase[] = items.map((it, i) => ({ ...it.key, passfile: files[i]!, connect: true }));
    const [v, psql] = await Promise.all([judge({ libpq: cases, asyncpg: cases }), psqlSample(cases, 4)]);
    const bad: string[] = [];
    items.forEach((it, i) => {
      const lp = v.libpq![i]!;
      const ap = v.asyncpg![i]!;
      const ps = psql[i];
      const hex = Buffer.from(it.password).toString('hex');
      const asyncpgReadable = !it.warnings.some((w) => /asyncpg/.test(w));
      const ok =
        lp.connect === 'ok' &&
        (!ps || ps.connect === 'ok') &&
        lp.password === hex &&
        lookupPgpass(it.out, it.key, { defaultSocketDir: def }) === it.password &&
        (!asyncpgReadable || (ap.connect === 'ok' && ap.password === it.password));
      if (!ok) bad.push(`key ${JSON.stringify(it.key)} password ${JSON.stringify(it.password)} file ${show(it.out)}: libpq ${JSON.stringify(lp)} psql -w ${JSON.stringify(ps)} asyncpg ${JSON.stringify(ap)}`);
    });
    expect(bad.slice(0, 5), bad.slice(0, 5).join('\n')).toEqual([]);
  });

  it('psql -w with PGPASSFILE logs in with what mcpctl wrote, through a non-default socket directory and TCP', async () => {
    const user = `${prefix}psql`;
    const password = generatePassword();
    await setRoles([{ user, password }]);
    for (const host of [h.socketDir, '127.0.0.1']) {
      const file = path.join(dir, `psql-${host === '127.0.0.1' ? 'tcp' : 'sock'}`);
      const { data } = mergePgpassChecked('# mine\n*:*:*:*:wrong\n', [{ host, port: h.port, database: 'postgres', user, password }], { defaultSocketDir: def });
      await fs.writeFile(file, data, { mode: 0o600 });
      const r = await execa('psql', ['-w', '-X', '-At', '-h', host, '-p', String(h.port), '-U', user, '-d', 'postgres', '-c', 'select current_user'], {
        env: { PATH: process.env.PATH!, PGPASSFILE: file, LC_ALL: 'C' },
        extendEnv: false,
        reject: false,
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(user);
    }
  });
});
