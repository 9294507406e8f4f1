/**
 * `pool`: a pg.Pool of --pool-size runs 5× that many concurrent queries, each answered
 * correctly within the timeout. It starts at once, alongside the other lanes; when our own
 * connections took the slots it needed it is retried alone. The verdicts are pure functions
 * of what was measured, unit-tested on their own.
 */
import type { Client, Pool } from 'pg';
import { clientConfig } from '../../../lib/pg/client.js';
import { fail, pass, type CheckOutcome } from '../../../lib/cli/report.js';
import { withTimeout, type Blocker, type Session } from '../session.js';

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

/** The role's connection limits, read on the main connection (for the pool's messages). */
export async function readCapacity(c: Client): Promise<Capacity> {
  const r = await c.query<{ user: string; lim: number; max: string; res: string; res2: string | null; su: boolean }>(
    `SELECT r.rolname AS user, r.rolconnlimit AS lim, current_setting('max_connections') AS max,
            current_setting('superuser_reserved_connections') AS res, current_setting('reserved_connections', true) AS res2,
            r.rolsuper AS su
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const x = r.rows[0]!;
  return { user: x.user, roleLimit: Number(x.lim), maxConnections: Number(x.max), reserved: Number(x.res) + Number(x.res2 ?? 0), superuser: x.su };
}

async function runPool(pool: Pool, size: number, timeoutMs: number): Promise<PoolRun> {
  const run: PoolRun = { answered: 0, latencies: [], wrong: [], errors: [], tooMany: false, timedOut: false };
  const queries = Array.from({ length: size * 5 }, async (_, i) => {
    const t = performance.now();
    try {
      const r = await pool.query<{ v: number }>('SELECT $1::int AS v', [i]);
      run.latencies.push(performance.now() - t);
      if (r.rows[0]?.v === i) run.answered++;
      else run.wrong.push(`query ${i} got ${JSON.stringify(r.rows[0]?.v)}`);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === '53300') run.tooMany = true;
      run.errors.push(err.message ?? String(e));
    }
  });
  try {
    await withTimeout(Promise.all(queries), timeoutMs, 'pool');
  } catch {
    run.timedOut = true;
  }
  return run;
}

function usedSsl(c: Client): boolean {
  // A TLS connection's socket is a tls.TLSSocket, which says so.
  return 'encrypted' in c.connection.stream && c.connection.stream.encrypted === true;
}

/**
 * The pool lane. `othersDone` settles when the other lanes are over: a pool that met "too
 * many connections" waits for it, closes the main connection and tries once more.
 */
export async function poolCheck(s: Session, mainClient: Client | undefined, missing: Blocker | undefined, othersDone: () => Promise<unknown>): Promise<void> {
  if (!s.want('pool') || !mainClient) {
    s.markPoolFirstDone();
    if (s.want('pool')) s.record('pool', s.blockedBy(missing!), 0);
    return;
  }
  const { poolSize, timeoutMs, mainTarget } = s.o;
  const ssl = usedSsl(mainClient) ? undefined : false;
  const start = performance.now();
  const { default: pg } = await import('pg');
  const once = async () => {
    const p = new pg.Pool({ ...clientConfig(mainTarget, ssl), max: poolSize, connectionTimeoutMillis: timeoutMs, idleTimeoutMillis: 1000 });
    s.pool = p;
    p.on('error', () => undefined);
    try {
      return await runPool(p, poolSize, timeoutMs);
    } finally {
      s.pool = undefined;
      await withTimeout(p.end(), 1000, 'closing the pool').catch(() => undefined);
    }
  };
  s.o.progress(`pool of ${poolSize}`);
  let r: PoolRun;
  try {
    r = await once();
  } finally {
    s.markPoolFirstDone();
  }
  let retried = false;
  if (r.tooMany && !s.signal.aborted) {
    await othersDone();
    await s.close(mainClient);
    retried = true;
    r = await once();
  }
  s.record('pool', poolOutcome(r, poolSize, timeoutMs, s.capacity, retried), performance.now() - start);
}
