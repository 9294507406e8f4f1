/**
 * The real readers as judges: one /usr/bin/python3 child per batch runs python-dotenv's
 * dotenv_values(), asyncpg (its password-file reader and a real connect) and libpq (through
 * ctypes: a real connection plus the password it took, byte for byte). See judges.py.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { findPgBindir } from './cluster.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'judges.py');

export interface DotenvJudgeCase {
  path: string;
  env: Record<string, string>;
}
export interface DotenvVerdict {
  values?: Record<string, string | null>;
  errorLines?: number[];
  exception?: string;
}
export interface ConnectCase {
  host: string;
  port: number;
  user: string;
  database: string;
  passfile: string;
  /** asyncpg only: also make a real connection (slower). */
  connect?: boolean;
}
export interface AsyncpgVerdict {
  password?: string | null;
  readerError?: string;
  connect?: 'ok' | 'badpassword' | 'nopassword' | 'error';
  error?: string;
}
export interface LibpqVerdict {
  connect: 'ok' | 'badpassword' | 'nopassword' | 'error';
  /** The password libpq took, hex-encoded ('' for none). */
  password: string;
  error: string | null;
}

export interface Batch {
  dotenv?: DotenvJudgeCase[];
  asyncpg?: ConnectCase[];
  libpq?: ConnectCase[];
}
export interface Verdicts {
  dotenv?: DotenvVerdict[];
  asyncpg?: AsyncpgVerdict[];
  libpq?: LibpqVerdict[];
}

/** Whether the judges are installed (python3-dotenv, python3-asyncpg, libpq5 for /usr/bin/python3). */
export async function judgesAvailable(): Promise<string | undefined> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = await execa(PYTHON, ['-c', 'import dotenv, asyncpg, ctypes; ctypes.CDLL("libpq.so.5")'], { reject: false });
  return r.exitCode === 0 ? undefined : `python3-dotenv, python3-asyncpg or libpq5 missing: ${r.stderr.split('\n').pop()}`;
}

export async function judge(batch: Batch): Promise<Verdicts> {
  // A clean environment: no PG* variable may change what the readers do.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/nonexistent' };
  const r = await execa(PYTHON, [SCRIPT], { input: JSON.stringify(batch), env, extendEnv: false, reject: false, maxBuffer: 256 * 1024 * 1024 });
  if (r.exitCode !== 0) throw new Error(`judges.py failed (${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Verdicts;
}

/** A conninfo value in single quotes, as libpq parses it. */
const conninfoValue = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

let psqlPath: Promise<string> | undefined;
/**
 * The psql binary of the test cluster's PostgreSQL (what Debian's pg_wrapper on PATH would
 * run), called directly: the wrapper is a Perl script that costs 40 ms a call.
 */
function psqlBinary(): Promise<string> {
  psqlPath ??= findPgBindir().then(
    (dir) => (existsSync(path.join(dir, 'psql')) ? path.join(dir, 'psql') : 'psql'),
    () => 'psql',
  );
  return psqlPath;
}

/**
 * `psql -w` itself with PGPASSFILE, for each case: 'ok' when it authenticated (a missing
 * database still proves the password), else why not. A few run at once.
 */
export async function psqlJudge(cases: ConnectCase[], concurrency = 4): Promise<{ connect: LibpqVerdict['connect']; stderr: string }[]> {
  const out: { connect: LibpqVerdict['connect']; stderr: string }[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i]!;
      const conninfo = Object.entries({ host: c.host, port: String(c.port), user: c.user, dbname: c.database, connect_timeout: '10', sslmode: 'disable' })
        .map(([k, v]) => `${k}=${conninfoValue(v)}`)
        .join(' ');
      const r = await execa(await psqlBinary(), ['-w', '-X', '-At', '-d', conninfo, '-c', 'select 1'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSFILE: c.passfile, LC_ALL: 'C', HOME: '/nonexistent', PGSYSCONFDIR: '/nonexistent' },
        extendEnv: false,
        reject: false,
        timeout: 20_000,
      });
      const err = r.stderr;
      out[i] = {
        connect:
          r.exitCode === 0 || /database ".*" does not exist/.test(err)
            ? 'ok'
            : /no password supplied/.test(err)
              ? 'nopassword'
              : /password authentication failed/.test(err)
                ? 'badpassword'
                : 'error',
        stderr: err.trim(),
      };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
