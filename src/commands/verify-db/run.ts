/**
 * `mcpctl verify-db`: every database precondition of an MCP project, checked as the app
 * user in one run. Two connections open at once (POSTGRES_DB and POSTGRES_TEST_DB); then
 * three lanes run concurrently: the read-only checks on the first connection, the test
 * database's schema and the scratch database (createdb, dynamic-db) on the second, and the
 * pool. Each check lives in checks/<name>.ts; their shared state in session.ts.
 */
import path from 'node:path';
import type { Client } from 'pg';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { CoreDeps } from '../../lib/cli/core-deps.js';
import { resolveAppPassword } from '../../lib/config/credentials.js';
import { InterruptedError } from '../../lib/cli/errors.js';
import { loadMigrations } from '../../lib/pg/migrations.js';
import { appTarget, type ConnTarget } from '../../lib/pg/client.js';
import type { Report } from '../../lib/cli/report.js';
import { scratchName, scratchOwnerAppName } from './scratch-db.js';
import { selectVerifyDbChecks } from './check-names.js';
import { cleanupScratch, scratchChecks } from './checks/createdb.js';
import { judgeLogins } from './checks/login.js';
import { pgvectorCheck } from './checks/pgvector.js';
import { poolCheck, readCapacity } from './checks/pool.js';
import { recordSchema, schemaOf } from './checks/schema.js';
import { versionCheck } from './checks/version.js';
import { abortPromise, Session, withTimeout, type Attempt, type Blocker } from './session.js';

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

/** What verify-db tells its adapter while it runs: what is being done now (a status line). */
export type VerifyDbEvent = { type: 'progress'; text: string };

export type VerifyDbDeps = Pick<CoreDeps<VerifyDbEvent, LoadedConfig>, 'config' | 'events'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'home' | 'signal' | 'secrets' | 'libpqSocketDir'>;
};

export type VerifyDbResult = Report;

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_POOL_SIZE = 10;
const APP_NAME = 'mcpctl verify-db';

/** Everything that can be a usage error is settled here, before the first connection. */
async function openSession(deps: VerifyDbDeps, options: VerifyDbOptions): Promise<{ s: Session; testTarget: ConnTarget; needTest: boolean; needScratch: boolean }> {
  const selected = selectVerifyDbChecks(options.only, options.skip);
  const { ctx } = deps;
  const cfg = deps.config.values;
  // Where POSTGRES_PASSWORD came from (e.g. ".env.local:3"), for messages.
  const pwSource = deps.config.resolved.POSTGRES_PASSWORD.source?.label;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const migrations = selected.has('schema') ? await loadMigrations(path.resolve(ctx.cwd, options.migrationsDir ?? 'migrations')) : [];
  const pwMain = await resolveAppPassword(cfg, ctx, pwSource);
  const pwTest = cfg.POSTGRES_TEST_DB === cfg.POSTGRES_DB ? pwMain : await resolveAppPassword(cfg, ctx, pwSource, cfg.POSTGRES_TEST_DB);
  if (ctx.signal.aborted) throw new InterruptedError();

  const scratch = scratchName();
  const needScratch = selected.has('createdb') || selected.has('dynamic-db');
  const needTest = needScratch || selected.has('databases') || selected.has('schema');
  const mainTarget: ConnTarget = { ...appTarget(cfg, pwMain.password), timeoutMs, applicationName: APP_NAME };
  // The scratch database's creator carries its name, so a parallel run never sweeps it.
  const testTarget: ConnTarget = { ...appTarget(cfg, pwTest.password, cfg.POSTGRES_TEST_DB), timeoutMs, applicationName: needScratch ? scratchOwnerAppName(scratch) : APP_NAME };
  const s = new Session({
    cfg,
    selected,
    signal: ctx.signal,
    cwd: ctx.cwd,
    timeoutMs,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    requirePgvector: options.requirePgvector === true,
    migrations,
    pwMain,
    pwTest,
    mainTarget,
    scratch,
    progress: (text) => deps.events({ type: 'progress', text }),
  });
  return { s, testTarget, needTest, needScratch };
}

export async function runVerifyDb(deps: VerifyDbDeps, options: VerifyDbOptions = {}): Promise<VerifyDbResult> {
  const { s, testTarget, needTest, needScratch } = await openSession(deps, options);
  const abort = abortPromise(s.signal);
  try {
    s.o.progress('connecting');
    const t0 = performance.now();
    const [a, b] = await Promise.race([Promise.all([s.tryConnect(s.o.mainTarget), needTest ? s.tryConnect(testTarget) : Promise.resolve<Attempt>({})]), abort.promise]);
    const verdict = judgeLogins(s, a, b, performance.now() - t0, needTest);
    if (verdict.stop) return s.finish();

    const mainClient = a.client;
    const lanes: Promise<void>[] = [];
    const mainLane = firstConnectionLane(s, mainClient, b.client, verdict.mainMissing);
    const testLane = secondConnectionLane(s, a, b, needScratch, verdict.dbBlocker);
    lanes.push(mainLane, testLane);
    // The pool starts at once, overlapping the scratch database's CREATE.
    lanes.push(poolCheck(s, mainClient, verdict.mainMissing, () => Promise.all([mainLane, testLane])));
    await Promise.race([Promise.all(lanes), abort.promise]);

    recordSchema(s, mainClient, verdict.mainMissing);
    if (mainClient) await s.close(mainClient);
    return s.finish();
  } finally {
    abort.dispose();
    // The scratch database goes whatever happened: queued behind a CREATE still in
    // flight on the same connection, so the drop always comes after the create.
    if (s.scratchIssued) await cleanupScratch(s.scratchHost, s.o.scratch, s.o.mainTarget);
    if (s.pool) await withTimeout(s.pool.end(), 1000, 'closing the pool').catch(() => undefined);
    await s.closeAll();
  }
}

/**
 * On the first connection, serially (pgvector's probe is a transaction the others must not
 * share): version, the limits the pool check explains, schema, pgvector.
 */
async function firstConnectionLane(s: Session, mainClient: Client | undefined, testClient: Client | undefined, missing: Blocker | undefined): Promise<void> {
  await versionCheck(s, mainClient ?? testClient, missing);
  if (s.want('pool') && mainClient) s.capacity = await readCapacity(mainClient).catch(() => undefined);
  if (s.want('schema') && mainClient) s.schemaMain = await schemaOf(s, mainClient, s.cfg.POSTGRES_DB);
  await pgvectorCheck(s, mainClient, missing);
  if (mainClient && !s.want('pool')) await s.close(mainClient);
}

/** On the second connection: schema of the test database, then the scratch database. */
async function secondConnectionLane(s: Session, a: Attempt, b: Attempt, needScratch: boolean, dbBlocker: Blocker): Promise<void> {
  const { cfg } = s;
  try {
    if (s.want('schema') && b.client && cfg.POSTGRES_TEST_DB !== cfg.POSTGRES_DB) s.schemaTest = await schemaOf(s, b.client, cfg.POSTGRES_TEST_DB);
    if (!needScratch || s.signal.aborted) return;
    // Without the test database, the scratch database is created from the main one.
    s.scratchHost = b.client ?? (a.client ? (await s.tryConnect({ ...s.o.mainTarget, applicationName: scratchOwnerAppName(s.o.scratch) })).client : undefined);
    if (!s.scratchHost) return s.recordBlocked(['createdb', 'dynamic-db'], dbBlocker);
    await scratchChecks(s, s.scratchHost);
  } finally {
    // After an interrupt or a CREATE that timed out, the connection stays open: the
    // cleanup's DROP must queue behind the CREATE on it.
    if (!s.signal.aborted && !s.scratchIssued) {
      await s.close(b.client);
      if (s.scratchHost !== b.client) await s.close(s.scratchHost);
    }
  }
}
