/**
 * `mcpctl verify-db`: every database precondition of an MCP project, checked as the app
 * user in one run. Two connections open at once (POSTGRES_DB and POSTGRES_TEST_DB); the
 * read-only checks run on the first while the second creates one scratch database that
 * both `createdb` and `dynamic-db` use, and the pool check runs alongside both.
 */
import path from 'node:path';
import type { Client } from 'pg';
import type { Config } from '../lib/config/keys.js';
import type { Context } from '../lib/context.js';
import { resolveAppPassword } from '../lib/credentials.js';
import { InterruptedError, isInternalError, UsageError, UserError } from '../lib/errors.js';
import { loadMigrations, migrationStatus, type Migration } from '../lib/migrations.js';
import { appTarget, clientConfig, connect, describePgError, serverVersion, withTransaction, type ConnTarget } from '../lib/pg.js';
import { fail, makeReport, pass, selectChecks, skip, warn, type Check, type CheckOutcome, type Report } from '../lib/report.js';
import { createScratch, dropScratch, scratchName, scratchOwnerAppName, sweepLeftovers, type SweepResult } from '../lib/scratch-db.js';
import {
  createFailure,
  evaluateVersion,
  noPasswordHint,
  outcomeOf,
  poolOutcome,
  problemOf,
  schemaOutcome,
  sweepNote,
  type Capacity,
  type PoolRun,
  type SchemaProblem,
} from './verify-db-outcomes.js';

export { evaluateVersion, percentile, poolLimitHint } from './verify-db-outcomes.js';

/** The checks of verify-db, in report order. */
export const VERIFY_DB_CHECKS = ['reachable', 'version', 'auth', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool'] as const;
export type VerifyDbCheck = (typeof VERIFY_DB_CHECKS)[number];

/** Options of `mcpctl verify-db`. */
export interface VerifyDbOptions {
  /** Comma-separated check names to run (default: all). */
  only?: string;
  /** Comma-separated check names to leave out. */
  skip?: string;
  /** Milliseconds allowed for connecting and for each check (default 5000). */
  timeoutMs?: number;
  /** Size of the pg.Pool of the `pool` check (default 10). */
  poolSize?: number;
  /** pgvector missing fails instead of warning. */
  requirePgvector?: boolean;
  /** Migrations folder (default `<cwd>/migrations`), as setup-db takes it. */
  migrationsDir?: string;
}

export interface VerifyDbDeps {
  ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'signal'>;
  config: Config;
  /** Where POSTGRES_PASSWORD came from (e.g. ".env.local:3"), for messages. */
  passwordSourceLabel?: string;
  /** Progress lines (what is being done now), for a status line. */
  onProgress?: (text: string) => void;
}

export type VerifyDbResult = Report;

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_POOL_SIZE = 10;
const APP_NAME = 'mcpctl verify-db';
/** Kinds of connection failure that mean the server itself cannot be used. */
const UNREACHABLE = new Set(['refused', 'timeout', 'tls', 'no-host']);

/** Parses --only/--skip; unknown names are a usage error listing the valid ones. */
export function selectVerifyDbChecks(only: string | undefined, skipList: string | undefined): Set<VerifyDbCheck> {
  const { selected, unknown } = selectChecks(VERIFY_DB_CHECKS, only, skipList);
  const valid = `valid checks: ${VERIFY_DB_CHECKS.join(', ')}`;
  if (unknown.length) throw new UsageError(`unknown check${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}`, { hint: valid });
  if (selected.size === 0) throw new UsageError('--only/--skip leave no check to run', { hint: valid });
  return selected as Set<VerifyDbCheck>;
}

interface Blocker {
  check: VerifyDbCheck;
  message: string;
  hint?: string;
}

interface Attempt {
  client?: Client;
  error?: UserError;
}

export async function runVerifyDb(deps: VerifyDbDeps, options: VerifyDbOptions = {}): Promise<VerifyDbResult> {
  const selected = selectVerifyDbChecks(options.only, options.skip);
  const want = (n: VerifyDbCheck) => selected.has(n);
  const { ctx, config: cfg } = deps;
  const signal = ctx.signal;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const progress = (t: string) => deps.onProgress?.(t);

  // Everything that can be a usage error is settled before the first connection.
  const migrations = want('schema') ? await loadMigrations(path.resolve(ctx.cwd, options.migrationsDir ?? 'migrations')) : [];
  const pwMain = await resolveAppPassword(cfg, ctx, deps.passwordSourceLabel);
  const pwTest = cfg.POSTGRES_TEST_DB === cfg.POSTGRES_DB ? pwMain : await resolveAppPassword(cfg, ctx, deps.passwordSourceLabel, cfg.POSTGRES_TEST_DB);
  if (signal.aborted) throw new InterruptedError();

  const results = new Map<VerifyDbCheck, Check>();
  const record = (name: VerifyDbCheck, outcome: CheckOutcome, ms: number) => {
    if (want(name)) results.set(name, { name, ...outcome, ms: Math.round(ms) });
  };
  const timed = async (name: VerifyDbCheck, body: () => Promise<CheckOutcome>) => {
    const start = performance.now();
    let outcome: CheckOutcome;
    try {
      outcome = await withTimeout(body(), timeoutMs, name);
    } catch (e) {
      if (signal.aborted) throw new InterruptedError();
      // A bug inside a check is not a failed check: it ends the run as an internal error.
      if (isInternalError(e)) throw e;
      outcome = outcomeOf(e);
    }
    record(name, outcome, performance.now() - start);
    return outcome;
  };
  // A check that cannot run because an earlier one failed is a skip naming it; when that
  // earlier check was not selected, the dependent check carries its failure instead.
  const blockedBy = (b: Blocker): CheckOutcome => (want(b.check) ? skip(`not run: ${b.check} failed`) : fail(b.message, b.hint));
  const recordBlocked = (names: VerifyDbCheck[], b: Blocker) => {
    for (const n of names) record(n, blockedBy(b), 0);
  };

  const scratch = scratchName();
  const needScratch = want('createdb') || want('dynamic-db');
  const needTest = needScratch || want('databases') || want('schema');
  const mainTarget: ConnTarget = { ...appTarget(cfg, pwMain.password), timeoutMs, applicationName: APP_NAME };
  // The scratch database's creator carries its name, so a parallel run never sweeps it.
  const testTarget: ConnTarget = {
    ...appTarget(cfg, pwTest.password, cfg.POSTGRES_TEST_DB),
    timeoutMs,
    applicationName: needScratch ? scratchOwnerAppName(scratch) : APP_NAME,
  };

  const open: Client[] = [];
  const tryConnect = async (t: ConnTarget): Promise<Attempt> => {
    try {
      const c = await connect(t);
      if (signal.aborted) {
        await closeClient(c);
        return { error: new InterruptedError() };
      }
      open.push(c);
      return { client: c };
    } catch (e) {
      return { error: e instanceof UserError ? e : describePgError(e, t) };
    }
  };
  const close = async (c: Client | undefined) => {
    const i = c ? open.indexOf(c) : -1;
    if (i < 0) return;
    open.splice(i, 1);
    await closeClient(c!);
  };

  let scratchHost: Client | undefined;
  let scratchIssued = false;
  let pool: import('pg').Pool | undefined;
  const abort = abortPromise(signal);
  try {
    progress('connecting');
    const t0 = performance.now();
    const [a, b] = await Promise.race([Promise.all([tryConnect(mainTarget), needTest ? tryConnect(testTarget) : Promise.resolve<Attempt>({})]), abort.promise]);
    const connectMs = performance.now() - t0;

    // reachable and auth follow from the two logins.
    const where = `${cfg.POSTGRES_HOST}:${cfg.POSTGRES_PORT}`;
    const kindOf = (x: Attempt) => (x.error ? String(x.error.code) : 'ok');
    const firstUnreachable = [a, b].find((x) => x.error && (UNREACHABLE.has(kindOf(x)) || kindOf(x) === 'failed'));
    if (firstUnreachable && (!a.client && !b.client)) {
      const e = firstUnreachable.error!;
      record('reachable', fail(e.message, e.hint), connectMs);
      recordBlocked(['version', 'auth', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool'], { check: 'reachable', message: e.message, hint: e.hint });
      return finish();
    }
    record('reachable', pass(`server answered at ${where}`), connectMs);

    // A wrong password, a missing role and a pg_hba refusal all mean "cannot log in".
    const authFailed = [a, b].find((x) => ['auth', 'no-role', 'pg_hba'].includes(kindOf(x)));
    if (authFailed) {
      const e = authFailed.error!;
      const pw = authFailed === a ? pwMain : pwTest;
      const hint = pw.password === undefined ? noPasswordHint(pw) : e.hint;
      const db = authFailed === a ? cfg.POSTGRES_DB : cfg.POSTGRES_TEST_DB;
      const message = `${e.message} (database ${db}, password from ${pw.password === undefined ? 'nowhere: none configured' : pw.source})`;
      // auth and databases are decided by the same logins as reachable: they took as long.
      record('auth', fail(message, hint), connectMs);
      recordBlocked(['version', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool'], { check: 'auth', message, hint });
      return finish();
    }
    record('auth', pass(`logged in as ${cfg.POSTGRES_USER} (password from ${pwMain.password === undefined ? 'nowhere: the server asked for none' : pwMain.source})`), connectMs);

    // databases: both exist and accept the app user.
    const dbProblem = (x: Attempt, db: string) => (x.error ? (x.error.message.includes(`"${db}"`) ? x.error.message : `${db}: ${x.error.message}`) : undefined);
    const dbProblems = [dbProblem(a, cfg.POSTGRES_DB), needTest ? dbProblem(b, cfg.POSTGRES_TEST_DB) : undefined].filter((p): p is string => !!p);
    const firstDbError = [a.error, b.error].find((e) => e);
    const dbHint = firstDbError?.code === 'privilege' ? `as an admin: GRANT CONNECT ON DATABASE <name> TO ${cfg.POSTGRES_USER}; or run \`mcpctl setup-db\`` : firstDbError?.hint;
    const dbMessage = dbProblems.join('; ');
    record('databases', dbProblems.length ? fail(dbMessage, dbHint) : pass(`${cfg.POSTGRES_DB} and ${cfg.POSTGRES_TEST_DB} exist; ${cfg.POSTGRES_USER} can connect to both`), connectMs);
    const mainMissing: Blocker | undefined = a.client ? undefined : { check: 'databases', message: dbProblem(a, cfg.POSTGRES_DB)!, hint: a.error!.hint };
    const mainClient = a.client;
    const anyClient = a.client ?? b.client;
    let capacity: Capacity | undefined;
    let schemaMain: SchemaProblem[] | undefined;
    let schemaTest: SchemaProblem[] | undefined;
    let schemaMs = 0;
    const schemaOf = async (c: Client, db: string) => {
      const t = performance.now();
      const r = await withTimeout(schemaProblems(c, db, migrations, ctx.cwd), timeoutMs, 'schema').catch((e: unknown) => [problemOf(e, db)]);
      schemaMs = Math.max(schemaMs, performance.now() - t);
      return r;
    };
    // The pool's first attempt runs alongside everything else; whoever meets "too many
    // connections" while the other holds slots waits for it and tries once more.
    let poolFirstDone!: () => void;
    const poolFirstDoneP = new Promise<void>((r) => (poolFirstDone = r));

    // createdb and dynamic-db share one scratch database: one CREATE and one DROP in all.
    const scratchChecks = async (host: Client) => {
      const startCreate = performance.now();
      let sweep: SweepResult = { dropped: [], failed: [] };
      let createMs = 0;
      try {
        progress('creating a scratch database');
        sweep = await withTimeout(sweepLeftovers(host), timeoutMs, 'dropping leftover scratch databases');
        if (signal.aborted) return;
        const t = performance.now();
        scratchIssued = true;
        await withTimeout(createScratch(host, scratch), timeoutMs, 'CREATE DATABASE');
        createMs = performance.now() - t;
        progress(`created scratch database ${scratch}`);
      } catch (e) {
        if (signal.aborted) return;
        if (isInternalError(e)) throw e;
        const o = createFailure(e, cfg.POSTGRES_USER);
        record('createdb', o, performance.now() - startCreate);
        record('dynamic-db', want('createdb') ? skip('not run: createdb failed') : o, 0);
        return;
      }
      const swept = sweepNote(sweep);
      if (signal.aborted) return;

      if (want('dynamic-db')) {
        await timed('dynamic-db', async () => {
          const scratchTarget = { ...mainTarget, database: scratch };
          let att = await tryConnect(scratchTarget);
          if (att.error && isTooMany(att.error) && want('pool')) {
            await poolFirstDoneP;
            att = await tryConnect(scratchTarget);
          }
          if (!att.client) throw att.error!;
          try {
            await att.client.query('CREATE SCHEMA mcpctl_check');
            await att.client.query('CREATE TABLE mcpctl_check.probe (id int PRIMARY KEY, note text NOT NULL)');
            await att.client.query("INSERT INTO mcpctl_check.probe VALUES (1, 'ok')");
            const r = await att.client.query<{ note: string }>('SELECT note FROM mcpctl_check.probe WHERE id = 1');
            if (r.rows[0]?.note !== 'ok') return fail(`read back ${JSON.stringify(r.rows[0])} instead of the row written`);
            return pass(`created a schema and a table in a new database, wrote and read a row${want('createdb') ? '' : swept}`);
          } finally {
            await close(att.client);
          }
        });
      }
      if (signal.aborted) return;

      const t = performance.now();
      try {
        await withTimeout(dropScratch(host, scratch), timeoutMs, 'DROP DATABASE');
        scratchIssued = false;
        const dropMs = performance.now() - t;
        record('createdb', pass(`created and dropped ${scratch} (create ${Math.round(createMs)} ms, drop ${Math.round(dropMs)} ms)${swept}`), createMs + dropMs);
      } catch (e) {
        if (signal.aborted) return;
        const err = e instanceof UserError ? e : describePgError(e, mainTarget);
        record('createdb', fail(`created ${scratch} but could not drop it: ${err.message}`, `as an admin: DROP DATABASE ${scratch}; (the next verify-db run also drops it)`), createMs + performance.now() - t);
      }
    };

    // On the first connection, serially (pgvector's probe is a transaction the others
    // must not share): version, the limits the pool check explains, schema, pgvector.
    const chainA = (async () => {
      if (want('version')) {
        if (!anyClient) record('version', blockedBy(mainMissing!), 0);
        else
          await timed('version', async () => {
            const v = await serverVersion(anyClient);
            return evaluateVersion(v.num, v.text);
          });
      }
      if (want('pool') && mainClient) capacity = await readCapacity(mainClient).catch(() => undefined);
      if (want('schema') && mainClient) schemaMain = await schemaOf(mainClient, cfg.POSTGRES_DB);
      if (want('pgvector')) {
        if (!mainClient) record('pgvector', blockedBy(mainMissing!), 0);
        else
          await timed('pgvector', async () => {
            // A query that timed out still occupies the connection: pgvector gets a new one.
            const stuck = schemaMain?.some((p) => p.timedOut);
            const c = stuck ? (await tryConnect(mainTarget)) : { client: mainClient };
            if (!c.client) throw c.error!;
            try {
              return await pgvectorCheck(c.client, cfg.POSTGRES_DB, options.requirePgvector === true, signal);
            } finally {
              if (c.client !== mainClient) await close(c.client);
            }
          });
      }
      if (mainClient && !want('pool')) await close(mainClient);
    })();

    // On the second connection: schema of the test database, then the scratch database.
    const chainB = (async () => {
      try {
        if (want('schema') && b.client && cfg.POSTGRES_TEST_DB !== cfg.POSTGRES_DB) schemaTest = await schemaOf(b.client, cfg.POSTGRES_TEST_DB);
        if (!needScratch || signal.aborted) return;
        // Without the test database, the scratch database is created from the main one.
        scratchHost = b.client ?? (a.client ? (await tryConnect({ ...mainTarget, applicationName: scratchOwnerAppName(scratch) })).client : undefined);
        if (!scratchHost) return recordBlocked(['createdb', 'dynamic-db'], mainMissing ?? { check: 'databases', message: dbMessage, hint: dbHint });
        await scratchChecks(scratchHost);
      } finally {
        // After an interrupt or a CREATE that timed out, the connection stays open: the
        // cleanup's DROP must queue behind the CREATE on it.
        if (!signal.aborted && !scratchIssued) {
          await close(b.client);
          if (scratchHost !== b.client) await close(scratchHost);
        }
      }
    })();

    // pool: starts at once, overlapping the scratch database's CREATE; retried alone when
    // our own connections took the slots it needed.
    const poolP = (async () => {
      if (!want('pool') || !mainClient) {
        poolFirstDone();
        if (want('pool')) record('pool', blockedBy(mainMissing!), 0);
        return;
      }
      const ssl = usedSsl(mainClient) ? undefined : false;
      const start = performance.now();
      const { default: pg } = await import('pg');
      const once = async () => {
        const p = new pg.Pool({ ...clientConfig(mainTarget, ssl), max: poolSize, connectionTimeoutMillis: timeoutMs, idleTimeoutMillis: 1000 });
        pool = p;
        p.on('error', () => undefined);
        try {
          return await runPool(p, poolSize, timeoutMs);
        } finally {
          pool = undefined;
          await withTimeout(p.end(), 1000, 'closing the pool').catch(() => undefined);
        }
      };
      progress(`pool of ${poolSize}`);
      let r: PoolRun;
      try {
        r = await once();
      } finally {
        poolFirstDone();
      }
      let retried = false;
      if (r.tooMany && !signal.aborted) {
        await Promise.all([chainA, chainB]);
        await close(mainClient);
        retried = true;
        r = await once();
      }
      record('pool', poolOutcome(r, poolSize, timeoutMs, capacity, retried), performance.now() - start);
    })();

    await Promise.race([Promise.all([chainA, chainB, poolP]), abort.promise]);

    if (want('schema')) {
      if (!mainClient) record('schema', blockedBy(mainMissing!), 0);
      else record('schema', schemaOutcome([...(schemaMain ?? []), ...(schemaTest ?? [])], migrations, [cfg.POSTGRES_DB, ...(schemaTest ? [cfg.POSTGRES_TEST_DB] : [])]), schemaMs);
    }
    if (mainClient) await close(mainClient);
    return finish();
  } finally {
    abort.dispose();
    // The scratch database goes whatever happened: queued behind a CREATE still in
    // flight on the same connection, so the drop always comes after the create.
    if (scratchIssued) await cleanupScratch(scratchHost, scratch, mainTarget);
    if (pool) await withTimeout(pool.end(), 1000, 'closing the pool').catch(() => undefined);
    await Promise.all(open.splice(0).map((c) => closeClient(c)));
  }

  function finish(): VerifyDbResult {
    if (signal.aborted) throw new InterruptedError();
    const checks = VERIFY_DB_CHECKS.filter(want).map((n) => results.get(n) ?? { name: n, status: 'skip' as const, ms: 0, message: 'not run' });
    return makeReport(checks);
  }
}

async function schemaProblems(c: Client, db: string, migrations: readonly Migration[], cwd: string): Promise<SchemaProblem[]> {
  const ns = await c.query<{ ok: boolean }>("SELECT to_regnamespace('registry') IS NOT NULL AS ok");
  if (!ns.rows[0]?.ok) return [{ db, kind: 'no-schema', detail: `schema registry missing in ${db}` }];
  const st = await migrationStatus(c, migrations);
  if (!st.tablePresent) return [{ db, kind: 'no-table', detail: `registry.schema_migrations missing in ${db}` }];
  const rel = (m: Migration) => (m.source === 'built-in' ? `built-in ${m.version}` : path.relative(cwd, m.source) || m.source);
  const out: SchemaProblem[] = [];
  if (st.changed.length) out.push({ db, kind: 'changed', detail: `changed after it was applied in ${db}: ${st.changed.map((x) => rel(x.migration)).join(', ')}` });
  if (st.pending.length) out.push({ db, kind: 'pending', detail: `not applied in ${db}: ${st.pending.map((m) => m.version).join(', ')}` });
  if (st.unknown.length) out.push({ db, kind: 'unknown', detail: `applied in ${db} but no file: ${st.unknown.join(', ')}` });
  return out;
}

async function pgvectorCheck(c: Client, db: string, required: boolean, signal: AbortSignal): Promise<CheckOutcome> {
  const soft = required ? fail : warn;
  const r = await c.query<{ default_version: string; installed_version: string | null }>(
    "SELECT default_version, installed_version FROM pg_available_extensions WHERE name = 'vector'",
  );
  const row = r.rows[0];
  if (!row) {
    return soft(
      'pgvector is not installed on the server (no "vector" in pg_available_extensions)',
      'install it on the server (apt install postgresql-<major>-pgvector, brew install pgvector, or from github.com/pgvector/pgvector), then run `mcpctl setup-db --with-pgvector`',
    );
  }
  if (row.installed_version) return pass(`vector ${row.installed_version} is created in ${db}`);
  if (signal.aborted) throw new InterruptedError();
  try {
    // Created and rolled back: proves it can be created without leaving it behind.
    await withTransaction(c, async (tx) => {
      await tx.query('CREATE EXTENSION vector');
      throw new RollbackOnPurpose();
    });
  } catch (e) {
    if (!(e instanceof RollbackOnPurpose)) {
      const msg = (e as Error).message;
      return soft(`vector ${row.default_version} is available but ${(e as { code?: string }).code === '42501' ? 'the app user may not create it' : 'cannot be created'}: ${msg}`, 'create it as an admin: `mcpctl setup-db --with-pgvector` (or CREATE EXTENSION vector; in each database)');
    }
  }
  return pass(`vector ${row.default_version} is available and can be created in ${db} (setup-db --with-pgvector creates it)`);
}

class RollbackOnPurpose extends Error {}

async function readCapacity(c: Client): Promise<Capacity> {
  const r = await c.query<{ user: string; lim: number; max: string; res: string; res2: string | null; su: boolean }>(
    `SELECT r.rolname AS user, r.rolconnlimit AS lim, current_setting('max_connections') AS max,
            current_setting('superuser_reserved_connections') AS res, current_setting('reserved_connections', true) AS res2,
            r.rolsuper AS su
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const x = r.rows[0]!;
  return { user: x.user, roleLimit: Number(x.lim), maxConnections: Number(x.max), reserved: Number(x.res) + Number(x.res2 ?? 0), superuser: x.su };
}

async function runPool(pool: import('pg').Pool, size: number, timeoutMs: number): Promise<PoolRun> {
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

/** "too many connections" (53300), directly or under describePgError's wrapping. */
function isTooMany(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code === '53300' || err.cause?.code === '53300';
}

function usedSsl(c: Client): boolean {
  return (c as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream?.encrypted === true;
}

/** Ends a client; a server that does not answer the goodbye gets its socket closed. */
async function closeClient(c: Client): Promise<void> {
  await withTimeout(c.end(), 1000, 'closing a connection').catch(() => {
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  });
}

async function cleanupScratch(host: Client | undefined, name: string, target: ConnTarget): Promise<void> {
  try {
    if (!host) throw new Error('no connection');
    await withTimeout(dropScratch(host, name), 10_000, 'DROP DATABASE');
  } catch {
    // The creating connection is gone: drop it from a fresh one (best effort; the next run sweeps it).
    const c = await connect({ ...target, database: target.database }).catch(() => undefined);
    if (c) {
      await dropScratch(c, name).catch(() => undefined);
      await closeClient(c);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(`${what} did not finish within ${ms} ms`, { hint: 'the server may be overloaded or waiting on a lock; check it, or raise --timeout', code: 'timeout' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

