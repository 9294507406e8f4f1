// The restore guard against the real judge, psql: generated scripts end in a `COPY … FROM stdin;`
// line followed by a `\! touch <marker>` canary. If psql runs the canary, the guard must have
// refused the script (review A1: string/identifier prefixes and :variables before FUNCTION … BEGIN).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PsqlScriptGuard } from '../../src/commands/backup/psql-guard.js';
import { Prng } from '../../src/commands/baseline/prng.js';
import { adminQuery, harness, uniqueName } from '../helpers/pg.js';

const CASES = 320;
// Tokens around psql's CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN heuristic, with every
// prefix psqlscan.l lexes as something other than an identifier.
const TOKENS = [
  'CREATE', 'FUNCTION', 'PROCEDURE', 'OR', 'REPLACE', 'BEGIN', 'BEGIN', 'ATOMIC', 'END', 'CASE', 'begin', 'End',
  'f()', '(', ')', ';', ';', '(;)', "E''", "e'x'", 'U&"x"', "U&'x'", 'U&', 'u&x', "N'x'", "n''", "B'1'", "b'01'",
  "X'1'", "x'00'", ':x', ':x1', ':_y', ':9', '::int', "'a'", "'a''b'", '$$x$$', '$a$ y $a$', '/* c */',
  '/* /* n */ */', '-- c\n', '\n', 'x', 'e', 'u', 'n', 'b', 'ne', '"id"', '"e"', '1', ',', '=', '+', '&',
];
const PREFIXES = ["E''", 'U&"x"', "U&'x'", "x'00'", "N'x'", "b'01'", ':x', 'U&', "X''"];

/** The case generator: seeded, so a failure names a case that reproduces. */
function generate(seed: string, n: number): string[] {
  const rnd = new Prng(seed);
  const out: string[] = [];
  // A1's exact shapes first: each prefix before FUNCTION/PROCEDURE … BEGIN.
  for (const p of PREFIXES) for (const kw of ['FUNCTION f() BEGIN', 'PROCEDURE p() BEGIN', 'OR REPLACE FUNCTION f() BEGIN']) out.push(`CREATE ${p} ${kw}`);
  for (const p of PREFIXES) out.push(`${p} CREATE FUNCTION f() BEGIN`, `CREATE FUNCTION ${p} f() BEGIN`);
  while (out.length < n) {
    let s = rnd.int(10) < 6 ? 'CREATE ' : '';
    const len = 1 + rnd.int(8);
    for (let i = 0; i < len; i++) s += TOKENS[rnd.int(TOKENS.length)]! + (rnd.int(2) ? ' ' : '');
    out.push(s);
  }
  return out;
}

/** psql with restore's own flags, the script on stdin; resolves when it exits (errors are expected). */
function psql(input: string | Buffer, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', '-f', '-'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', reject);
    p.on('close', () => resolve());
    p.stdin.on('error', () => {}); // psql may stop reading after an error
    p.stdin.end(input);
  });
}

describe('psql guard vs real psql (seeded differential)', () => {
  const db = uniqueName('guard_diff');
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const h = harness();
    await adminQuery(`CREATE DATABASE ${db}`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-guard-diff-'));
    env = { ...process.env, PGHOST: h.host, PGPORT: String(h.port), PGUSER: h.superuser, PGPASSWORD: h.superuserPassword, PGDATABASE: db };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await adminQuery(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });

  it(`${CASES} generated scripts (seed "a1"): whenever psql runs the \\! canary, the guard refused the script`, async () => {
    const cases = generate('a1', CASES);
    let accepted = 0;
    let ran = 0;
    const bypass: string[] = [];
    const one = async (stmt: string, k: number) => {
      const marker = path.join(dir, `m${k}`);
      const script = `CREATE TABLE IF NOT EXISTS t(x int);\n${stmt};\nCOPY t FROM stdin;\n\\! touch ${marker}\n\\.\n`;
      let ok = true;
      try {
        const g = new PsqlScriptGuard();
        g.push(Buffer.from(script));
        g.end();
      } catch {
        ok = false;
      }
      if (ok) accepted++;
      await psql(`BEGIN;${script}ROLLBACK;\n`, env);
      if (existsSync(marker)) {
        ran++;
        if (ok) bypass.push(`case ${k}: ${JSON.stringify(script)}`);
      }
    };
    // Four psql processes at a time, in a fixed order of cases.
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < cases.length) {
        const k = next++;
        await one(cases[k]!, k);
      }
    }));
    expect(bypass).toEqual([]);
    // The generator must reach both sides, or this test could not fail.
    expect(ran).toBeGreaterThan(20);
    expect(accepted).toBeGreaterThan(20);
  }, 240_000);

  it('review C1: scripts that switch client_encoding to each client-only encoding (seed "c1"): whenever psql runs the \\! canary, the guard refused', async () => {
    const encodings = ['SJIS', 'BIG5', 'GBK', 'UHC', 'JOHAB', 'GB18030'];
    // Pieces of string content: ASCII, UTF-8 characters of 2–4 bytes, and lone lead bytes.
    const pool = ['a', 'Z', '1', '_', ' ', 'é', 'ü', '日', '本', '語', '😀', '\x83', '\xa1', '\x8f', '\x81', '\xfe', '\\'];
    const rnd = new Prng('c1');
    const cases: Buffer[] = [];
    for (let k = 0; k < 240; k++) {
      const enc = encodings[k % encodings.length]!;
      const n = 1 + rnd.int(4);
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const t = pool[rnd.int(pool.length)]!;
        parts.push(/^[\x80-\xff]$/.test(t) ? Buffer.from([t.charCodeAt(0)]) : Buffer.from(t));
      }
      const head = Buffer.from(`SET client_encoding = '${enc}';\nSELECT '`);
      // To the guard (UTF-8) the canary sits inside a string; psql with a lead byte before the
      // quote reads the string as going on, and the canary as a command after it ends.
      const tail = Buffer.from(`' ; SELECT ' \\! touch MARKER\n\\r\n-- '\nRESET client_encoding;\n`);
      cases.push(Buffer.concat([head, ...parts, tail]));
    }
    let accepted = 0;
    let ran = 0;
    const bypass: string[] = [];
    const one = async (k: number) => {
      const marker = path.join(dir, `c${k}`);
      const script = Buffer.from(cases[k]!.toString('latin1').replace('MARKER', marker), 'latin1');
      let ok = true;
      try {
        const g = new PsqlScriptGuard();
        g.push(script);
        g.end();
      } catch {
        ok = false;
      }
      if (ok) accepted++;
      await psql(Buffer.concat([Buffer.from('BEGIN;'), script, Buffer.from('ROLLBACK;\n')]), env);
      if (existsSync(marker)) {
        ran++;
        if (ok) bypass.push(`case ${k}: ${JSON.stringify(script.toString('latin1'))}`);
      }
    };
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < cases.length) await one(next++);
    }));
    expect(bypass).toEqual([]);
    expect(ran).toBeGreaterThan(10);
    expect(accepted).toBeGreaterThan(10);
  }, 240_000);
});
