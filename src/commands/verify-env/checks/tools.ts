import { promises as fs } from 'node:fs';
import path from 'node:path';
import { appTarget, serverVersion, withClient } from '../../../lib/pg/client.js';
import { fail, pass, runCheck, skip, warn, type Check, type CheckOutcome } from '../../../lib/cli/report.js';
import { compareVersions, parseVersion, type Version } from '../../../lib/pg/versions.js';
import type { EnvFacts } from '../facts.js';

const DEFAULT_PYTHON = '3.11';
const MIN_PG_CLIENT = 14;
const PG_CLIENT_HINT = 'install the PostgreSQL client ≥ 14 (apt install postgresql-client, brew install libpq)';
const atLeast = (major: number, raw = String(major)): Version => ({ major, minor: 0, patch: 0, raw });

type VersionOutcome = CheckOutcome & { version?: Version };

/** Runs `file args`, reads a version from its output and compares it with `min`. */
async function versionCheck(f: EnvFacts, name: string, file: string, args: string[], min: Version | undefined, installHint: string): Promise<VersionOutcome> {
  const r = await f.tool(file, args);
  if (r.notFound || (r.exitCode !== 0 && !r.stdout && !r.stderr)) return fail(`${file} not found on PATH`, installHint);
  if (r.exitCode !== 0) return fail(`${file} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`, installHint);
  const v = parseVersion(r.stdout || r.stderr);
  if (!v) return warn(`${name}: could not read a version from "${(r.stdout || r.stderr).trim()}"`);
  if (min && compareVersions(v, min) < 0) return { ...fail(`${name} ${v.raw} is older than ${min.raw}`, installHint), version: v };
  return { ...pass(`${name} ${v.raw}`), version: v };
}

async function pythonCheck(f: EnvFacts): Promise<CheckOutcome> {
  const wanted = await readPythonVersion(f.cwd);
  const min = parseVersion(wanted.version)!;
  const py = await f.python;
  const out = await versionCheck(f, 'python', py.python ?? 'python3', ['--version'], min, `install Python ≥ ${wanted.version} (${wanted.source}), e.g. with pyenv or uv`);
  return out.status === 'pass' ? pass(`${out.message} (${py.pythonLabel}; ≥ ${wanted.version} from ${wanted.source})`) : out;
}

/** python, node, git, psql, pg_dump (in report order) and the pg_dump version found. */
export async function toolChecks(f: EnvFacts): Promise<{ checks: Check[]; pgDump: Version | undefined }> {
  let pgDump: Version | undefined;
  const checks = await Promise.all([
    runCheck('python', () => pythonCheck(f)),
    runCheck('node', () => versionCheck(f, 'node', 'node', ['--version'], atLeast(20), 'install Node.js 20 or newer')),
    runCheck('git', () => versionCheck(f, 'git', 'git', ['--version'], atLeast(2, '2.0'), 'install git')),
    runCheck('psql', () => versionCheck(f, 'psql', 'psql', ['--version'], atLeast(MIN_PG_CLIENT), PG_CLIENT_HINT)),
    runCheck('pg_dump', async () => {
      const r = await versionCheck(f, 'pg_dump', 'pg_dump', ['--version'], atLeast(MIN_PG_CLIENT), PG_CLIENT_HINT);
      pgDump = r.version;
      return r;
    }),
  ]);
  return { checks, pgDump };
}

/** pg_dump must be at least the server's major, or backups cannot be taken. */
export function pgDumpServerCheck(f: EnvFacts, pgDump: Version | undefined): Promise<Check> {
  return runCheck('pg_dump-server', async () => {
    if (!pgDump) return skip('pg_dump not available');
    if (!f.loaded) return skip('configuration invalid');
    const pw = (await f.appPassword())!;
    let major: number;
    try {
      major = (await withClient({ ...appTarget(f.loaded.values, pw.password), timeoutMs: Math.min(f.timeoutMs, 3000) }, serverVersion)).major;
    } catch (e) {
      return skip(`server did not answer (${(e as Error).message})`);
    }
    if (pgDump.major < major) {
      return fail(`pg_dump ${pgDump.major} is older than the server (${major})`, `install the PostgreSQL ${major} client tools so backups can be taken`);
    }
    return pass(`pg_dump ${pgDump.major} ≥ server ${major}`);
  });
}

async function readPythonVersion(cwd: string): Promise<{ version: string; source: string }> {
  try {
    const text = await fs.readFile(path.join(cwd, '.python-version'), 'utf8');
    const first = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
    const v = first && /(\d+\.\d+(?:\.\d+)?)/.exec(first);
    if (v?.[1]) return { version: v[1], source: '.python-version' };
  } catch {
    // No file: the default applies.
  }
  return { version: DEFAULT_PYTHON, source: 'default' };
}
