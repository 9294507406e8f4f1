/**
 * The verdicts of verify-db's checks: pure functions from what was measured to a status,
 * a message and the hint that fixes it. Kept apart from the connection juggling in
 * verify-db.ts so each rule can be read, and unit-tested, on its own.
 */
import type { AppPassword } from '../lib/credentials.js';
import { UserError } from '../lib/errors.js';
import type { Migration } from '../lib/migrations.js';
import { fail, pass, warn, type CheckOutcome } from '../lib/report.js';
import type { SweepResult } from '../lib/scratch-db.js';

export const MIN_SERVER_VERSION_NUM = 140000;

/** `version` from server_version_num (e.g. 150020) and server_version (e.g. "15.20 (Debian …)"). */
export function evaluateVersion(num: number, text: string): CheckOutcome {
  const shown = text.split(' ')[0] ?? String(num);
  if (!Number.isFinite(num) || num < MIN_SERVER_VERSION_NUM) {
    return fail(`server is PostgreSQL ${shown}; mcpctl needs 14 or newer`, 'upgrade the server to PostgreSQL 14 or newer (pg_upgrade, or dump and restore with `mcpctl backup`)');
  }
  return pass(`PostgreSQL ${shown} (server_version_num ${num})`);
}

/** Nearest-rank percentile (p in 0..1) of a non-empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** What a role may still open, from the server's limits (for the pool check's messages). */
export interface Capacity {
  user: string;
  roleLimit: number;
  maxConnections: number;
  reserved: number;
  superuser: boolean;
}

/** Explains a "too many connections" failure of a pool of `size`, with the fix. */
export function poolLimitHint(size: number, cap: Capacity | undefined): string {
  if (!cap) return `lower --pool-size, or raise max_connections / the role's CONNECTION LIMIT`;
  const parts: string[] = [];
  if (cap.roleLimit >= 0 && cap.roleLimit < size) {
    parts.push(`role ${cap.user} may open ${cap.roleLimit} connections (CONNECTION LIMIT): as an admin, ALTER ROLE ${cap.user} CONNECTION LIMIT ${size}`);
  }
  const usable = cap.maxConnections - (cap.superuser ? 0 : cap.reserved);
  if (usable < size) parts.push(`the server allows ${usable} (max_connections ${cap.maxConnections}${cap.superuser ? '' : `, ${cap.reserved} reserved`}): raise max_connections in postgresql.conf and restart`);
  if (!parts.length) parts.push('other sessions hold the remaining connections: close idle ones, or raise max_connections');
  return `${parts.join('; ')}; or lower --pool-size (and the app's pool) to fit`;
}


/** One problem the schema check found, in one database. */
export interface SchemaProblem {
  db: string;
  kind: 'no-schema' | 'no-table' | 'pending' | 'changed' | 'unknown' | 'error';
  detail: string;
  hint?: string;
  /** The query is still waiting on its connection. */
  timedOut?: boolean;
}


export function problemOf(e: unknown, db: string): SchemaProblem {
  const o = outcomeOf(e);
  return { db, kind: 'error', detail: `${db}: ${o.message}`, hint: o.hint, timedOut: (e as { code?: string }).code === 'timeout' };
}

export function schemaOutcome(problems: SchemaProblem[], migrations: readonly Migration[], dbs: string[]): CheckOutcome {
  const failing = problems.filter((p) => p.kind !== 'unknown');
  const hintFor = (p: SchemaProblem) =>
    p.kind === 'changed'
      ? 'restore the applied version of the file (git checkout -- <file>) and put the change in a new migration file'
      : p.kind === 'error'
        ? p.hint
        : 'run `mcpctl setup-db` to create the registry schema and apply the migrations';
  if (failing.length) {
    const hints = [...new Set(failing.map(hintFor).filter((h): h is string => !!h))];
    return fail(failing.map((p) => p.detail).join('; '), hints.join('; '));
  }
  if (problems.length) {
    return warn(problems.map((p) => p.detail).join('; '), 'the migrations folder may be out of date (git pull), or pass --migrations <dir>');
  }
  return pass(`registry schema present in ${dbs.join(' and ')}; ${migrations.length} migration${migrations.length === 1 ? '' : 's'} applied, checksums match`);
}


export interface PoolRun {
  answered: number;
  latencies: number[];
  wrong: string[];
  errors: string[];
  tooMany: boolean;
  timedOut: boolean;
}


export function poolOutcome(r: PoolRun, size: number, timeoutMs: number, cap: Capacity | undefined, retried: boolean): CheckOutcome {
  const total = size * 5;
  const p95 = Math.round(percentile(r.latencies, 0.95));
  if (r.tooMany) {
    const first = r.errors[0] ?? 'too many connections';
    return fail(`a pool of ${size} could not open its connections: ${first} (${r.answered} of ${total} queries answered${retried ? ', also after closing every other connection' : ''})`, poolLimitHint(size, cap));
  }
  if (r.errors.length) {
    const distinct = [...new Set(r.errors)];
    return fail(`${r.errors.length} of ${total} queries failed: ${distinct.slice(0, 2).join('; ')}`, 'run again with --debug; check the server log');
  }
  if (r.wrong.length) return fail(`${r.wrong.length} of ${total} queries got another query's answer: ${r.wrong.slice(0, 3).join('; ')}`, 'a proxy or pooler between mcpctl and the server mixes up sessions; check it');
  if (r.timedOut || r.answered < total) {
    return fail(`only ${r.answered} of ${total} queries answered within ${timeoutMs} ms`, 'the server is overloaded or connections are slow to open: check the server, or raise --timeout');
  }
  return pass(`a pool of ${size} answered ${total} concurrent queries correctly; p95 ${p95} ms, max ${Math.round(Math.max(...r.latencies))} ms`);
}

export function createFailure(e: unknown, user: string): CheckOutcome {
  const err = e as { code?: string; message?: string; hint?: string };
  const pgCode = err.code ?? ((e as { cause?: { code?: string } }).cause?.code);
  if (pgCode === '42501') {
    return fail(`${user} may not create databases: ${err.message}`, `as an admin: ALTER ROLE ${user} CREATEDB; (or run \`mcpctl setup-db\`)`);
  }
  return outcomeOf(e);
}

export function sweepNote(s: SweepResult): string {
  const parts: string[] = [];
  if (s.dropped.length) parts.push(`; dropped ${s.dropped.length} leftover${s.dropped.length === 1 ? '' : 's'} of an earlier run: ${s.dropped.join(', ')}`);
  if (s.failed.length) parts.push(`; could not drop leftover ${s.failed.map((f) => `${f.name} (${f.reason})`).join(', ')}`);
  return parts.join('');
}

export function noPasswordHint(pw: AppPassword): string {
  const why = pw.pgpassIgnored ? ` (the password file was ignored: ${pw.pgpassIgnored})` : '';
  return `no password is configured${why}: set POSTGRES_PASSWORD in .env.local, add a password-file entry, or run \`mcpctl setup-db\``;
}

export function outcomeOf(e: unknown): CheckOutcome {
  const err = e as { message?: string; hint?: string };
  if (e instanceof UserError) return fail(e.message, e.hint);
  return fail(err.message ?? String(e), err.hint);
}

