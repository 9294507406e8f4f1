/**
 * Differential tests: mcpctl's .env reader against python-dotenv's dotenv_values() (the Python
 * servers' reader) on generated files, and mcpctl's writer against python-dotenv, node's own
 * parser (process.loadEnvFile = --env-file) and mcpctl. A disagreement prints a minimal
 * reproduction. Seed: MCPCTL_TEST_SEED (default below) — the same seed, the same cases.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDotenv, parseDotenv, setDotenvKey } from '../../src/lib/config/dotenv.js';
import { UsageError } from '../../src/lib/errors.js';
import { generateEnvFiles, generateValues } from '../helpers/gen-dotenv.js';
import { judge, judgesAvailable, type DotenvVerdict } from '../helpers/judges.js';

const SEED = process.env.MCPCTL_TEST_SEED ?? 'dotenv-2026';
const missing = await judgesAvailable();
if (missing && !process.env.CI) console.warn(`.env files: differential tests skipped (${missing}); CI fails instead`);
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-dotenv-judge-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** mcpctl's reading of a file, in python-dotenv's terms. */
function ours(bytes: Buffer, env: Record<string, string>): DotenvVerdict {
  const text = decodeDotenv(bytes);
  if (text === undefined) return { exception: 'UnicodeDecodeError' };
  const p = parseDotenv(text, env);
  return { values: Object.fromEntries(p.entries.map((e) => [e.key, e.noValue ? null : e.value])), errorLines: p.errors.map(() => 0) };
}

function same(a: DotenvVerdict, b: DotenvVerdict): boolean {
  if (a.exception || b.exception) return a.exception === b.exception;
  return JSON.stringify(sortKeys(a.values!)) === JSON.stringify(sortKeys(b.values!)) && a.errorLines!.length === b.errorLines!.length;
}
const sortKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));

async function pythonReads(files: { bytes: Buffer; env: Record<string, string> }[]): Promise<DotenvVerdict[]> {
  const paths = await Promise.all(
    files.map(async (f, i) => {
      const p = path.join(dir, `case-${i}-${Math.random().toString(36).slice(2)}.env`);
      await fs.writeFile(p, f.bytes);
      return p;
    }),
  );
  const v = await judge({ dotenv: files.map((f, i) => ({ path: paths[i]!, env: f.env })) });
  return v.dotenv!;
}

/** Removes lines while the disagreement stays: the smallest file that still shows it. */
async function minimize(bytes: Buffer, env: Record<string, string>): Promise<Buffer> {
  let cur = bytes.toString('utf8');
  for (;;) {
    const lines = cur.split('\n');
    if (lines.length < 2) return Buffer.from(cur);
    const candidates = lines.map((_, i) => lines.filter((__, j) => j !== i).join('\n'));
    const verdicts = await pythonReads(candidates.map((c) => ({ bytes: Buffer.from(c), env })));
    const k = candidates.findIndex((c, i) => !same(ours(Buffer.from(c), env), verdicts[i]!));
    if (k === -1) return Buffer.from(cur);
    cur = candidates[k]!;
  }
}

describe.skipIf(missing !== undefined && !process.env.CI)(`.env files: python-dotenv is the judge (seed ${SEED})`, () => {
  // Locally, a machine without the judges skips this suite with a warning on stderr; in CI
  // it fails here, naming what to install, instead of passing without judging anything.
  it('has its judges installed (python3-dotenv, python3-asyncpg, libpq5 for /usr/bin/python3)', () => {
    expect(missing, 'the differential tests cannot run; .ci/run installs: apt-get install python3-dotenv python3-asyncpg libpq5').toBeUndefined();
  });

  it('reads 300 generated files exactly as dotenv_values() does', async () => {
    const cases = generateEnvFiles(SEED, 300);
    const theirs = await pythonReads(cases);
    const bad: string[] = [];
    for (const c of cases) {
      const mine = ours(c.bytes, c.env);
      if (same(mine, theirs[c.id]!)) continue;
      const min = await minimize(c.bytes, c.env);
      const [t] = await pythonReads([{ bytes: min, env: c.env }]);
      bad.push(
        `case ${c.id}: file ${JSON.stringify(min.toString('utf8'))} env ${JSON.stringify(c.env)}\n` +
          `  python-dotenv: ${JSON.stringify(t)}\n  mcpctl:        ${JSON.stringify(ours(min, c.env))}`,
      );
      if (bad.length >= 5) break;
    }
    expect(bad, `disagreements with python-dotenv (reproduce: MCPCTL_TEST_SEED=${SEED}):\n${bad.join('\n')}`).toEqual([]);
  });

  it('writes 250 generated values so that python-dotenv, node --env-file and mcpctl read them back identically, or refuses naming the key', async () => {
    const values = generateValues(SEED, 250);
    const bases = generateEnvFiles(`${SEED}-bases`, 40)
      .map((c) => decodeDotenv(c.bytes))
      .filter((t): t is string => t !== undefined && parseDotenv(t).errors.length === 0);
    const written: { text: string; value: string; env: Record<string, string> }[] = [];
    let refused = 0;
    values.forEach((value, i) => {
      const base = bases[i % bases.length]!;
      try {
        written.push({ text: setDotenvKey(base, 'POSTGRES_PASSWORD', value), value, env: { A: 'envA' } });
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as Error).message).toContain('POSTGRES_PASSWORD');
        expect((e as Error).message).not.toContain(value.length > 2 ? value : '\u0000never');
        refused++;
      }
    });
    // The plain cases are always written; only values no quoting can carry are refused.
    expect(written.length).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(0);

    const py = await pythonReads(written.map((w) => ({ bytes: Buffer.from(w.text), env: w.env })));
    // node's own reader, as `node --env-file` runs it, in one child for all files.
    const files = await Promise.all(
      written.map(async (w, i) => {
        const p = path.join(dir, `written-${i}.env`);
        await fs.writeFile(p, w.text);
        return p;
      }),
    );
    const script = `const out=[];for(const f of JSON.parse(process.argv[1])){delete process.env.POSTGRES_PASSWORD;process.loadEnvFile(f);out.push(process.env.POSTGRES_PASSWORD ?? null)}console.log(JSON.stringify(out))`;
    const node = JSON.parse((await execa(process.execPath, ['-e', script, JSON.stringify(files)], { env: {}, extendEnv: false })).stdout) as (string | null)[];
    const bad: string[] = [];
    written.forEach((w, i) => {
      const mine = parseDotenv(w.text, w.env).entries.find((e) => e.key === 'POSTGRES_PASSWORD')?.value;
      const pyv = py[i]!.values?.POSTGRES_PASSWORD;
      if (mine !== w.value || pyv !== w.value || node[i] !== w.value) {
        bad.push(`value ${JSON.stringify(w.value)} written as ${JSON.stringify(w.text)}: python-dotenv ${JSON.stringify(pyv)}, node ${JSON.stringify(node[i])}, mcpctl ${JSON.stringify(mine)}`);
      }
    });
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it('node --env-file itself reads a written file as process.loadEnvFile does', async () => {
    const text = setDotenvKey('A=1\n', 'POSTGRES_PASSWORD', 'multi\nline with # and "quotes"');
    const f = path.join(dir, 'flag.env');
    await fs.writeFile(f, text);
    const r = await execa(process.execPath, [`--env-file=${f}`, '-e', 'process.stdout.write(JSON.stringify(process.env.POSTGRES_PASSWORD))'], { env: {}, extendEnv: false });
    expect(JSON.parse(r.stdout)).toBe('multi\nline with # and "quotes"');
  });
});
