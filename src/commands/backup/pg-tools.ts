/**
 * The PostgreSQL client tools (pg_dump, psql, pg_restore) and the programs beside them:
 * finding and version-checking them, their libpq environment, and reading how they ended.
 */
import { UsageError, UserError } from '../../lib/cli/errors.js';
import { execCapture } from '../../lib/process/exec.js';
import type { ConnTarget } from '../../lib/pg/client.js';
import { parseVersion, type Version } from '../../lib/pg/versions.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where and how the client tools run. */
export interface ToolDeps {
  cwd: string;
  env: Env;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export type PgTool = 'pg_dump' | 'psql' | 'pg_restore';

const INSTALL_HINT = 'install the PostgreSQL client tools matching your server (apt install postgresql-client-<major>, brew install libpq) and put them on PATH';

/** The tool's version (`pg_dump --version`); exit 1 with an install hint when it is missing. */
export async function pgToolVersion(deps: ToolDeps, tool: PgTool): Promise<Version> {
  const r = await execCapture(tool, ['--version'], { cwd: deps.cwd, env: deps.env, timeoutMs: 10_000, log: deps.log });
  const v = r.exitCode === 0 ? parseVersion(r.stdout) : undefined;
  if (!v) throw new UserError(r.notFound ? `${tool} not found on PATH` : `${tool} --version failed: ${(r.stderr || r.stdout).trim()}`, { hint: INSTALL_HINT });
  return v;
}

/** A pg_dump older than the server cannot dump it: exit 2 before anything starts, naming both. */
export function requireDumpNotOlder(dump: Version, serverMajor: number): void {
  if (dump.major < serverMajor) {
    throw new UsageError(`pg_dump ${dump.raw} is older than the server (PostgreSQL ${serverMajor}); it cannot dump it`, {
      hint: `install pg_dump ${serverMajor} or newer (e.g. apt install postgresql-client-${serverMajor}) and put it first on PATH`,
    });
  }
}

/** Whether a program answers `--version` (zstd, gzip). */
export async function hasProgram(deps: ToolDeps, file: string): Promise<boolean> {
  const r = await execCapture(file, ['--version'], { cwd: deps.cwd, env: deps.env, timeoutMs: 10_000, log: deps.log });
  return r.exitCode === 0;
}

/**
 * The child's environment for libpq: the caller's, without any PG* variable that could
 * redirect it, plus the target. The password travels as PGPASSWORD in the child's
 * environment only (readable by the same user alone, never in argv); without one,
 * libpq reads PGPASSFILE or ~/.pgpass itself.
 */
export function libpqEnv(base: Env, t: ConnTarget): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && (!k.startsWith('PG') || k === 'PGPASSFILE')) env[k] = v;
  Object.assign(env, {
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGUSER: t.user,
    PGDATABASE: t.database,
    PGSSLMODE: t.sslmode,
    PGCONNECT_TIMEOUT: String(Math.max(1, Math.ceil((t.timeoutMs ?? 10_000) / 1000))),
    PGAPPNAME: 'mcpctl',
  });
  if (t.password !== undefined) env.PGPASSWORD = t.password;
  return env;
}

/** Keeps the last `max` characters of a stream (a child's stderr) without growing. */
export function tail(stream: NodeJS.ReadableStream | null | undefined, max = 16_384): () => string {
  let text = '';
  stream?.setEncoding?.('utf8');
  stream?.on('data', (c: string) => {
    text = (text + c).slice(-max);
  });
  return () => text.trim();
}

/** Describes how a child ended, for an error message. */
export function howEnded(r: { exitCode?: number; signal?: string; isCanceled?: boolean }): string {
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with status ${r.exitCode ?? 'unknown'}`;
}
