/**
 * `mcpctl backup restore <file>`: the whole file in one transaction that only mcpctl commits
 * (load.ts), and not one byte of it to psql before its checksum matched (restore-preflight.ts). An empty target is restored into; a
 * missing one, or one that holds tables (after its name is confirmed), through a scratch
 * database renamed into place only after the commit — so a failed or killed restore
 * leaves the target as it was, and the next run sweeps the scratch database.
 */
import path from 'node:path';
import type { Client } from 'pg';
import type { ChecksumState, Compression } from './files.js';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { UserError } from '../../lib/cli/errors.js';
import { classifyPgError, quoteIdent, withClient, type ConnTarget } from '../../lib/pg/client.js';
import { preloadExecStream } from '../../lib/process/exec.js';
import { libpqEnv } from './pg-tools.js';
import { loadBackup, type ArchiveFormat } from './load.js';
import { sharedStateBefore, type SharedBefore } from './restore-check.js';
import { checksumMatches, endClient, preflight, restoreTarget } from './restore-preflight.js';
import { createDatabase, dropDatabase, maintenanceTarget } from './databases.js';
import { holdScratch, restoreScratchName, sweepScratch } from './sweep.js';

export interface RestoreOptions {
  file: string;
  /** Target database (default: the one in the file name, else POSTGRES_DB). */
  database?: string;
  /** The target's name, confirming that a database holding tables is replaced. */
  confirm?: string;
}

/** What restore tells its adapter: the plan (before the restore starts), and --debug lines. */
export type RestoreEvent = { type: 'plan'; file: string; database: string; mode: RestoreMode; tables: number; checksum: ChecksumState } | DebugEvent;

export type RestoreDeps = Pick<CoreDeps<RestoreEvent, LoadedConfig>, 'config' | 'events' | 'prompter'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'home' | 'signal' | 'secrets' | 'libpqSocketDir'>;
};

/** created: the database did not exist; restored: it was empty; replaced: it held tables. */
export type RestoreMode = 'created' | 'restored' | 'replaced';

export interface RestoreResult {
  ok: true;
  file: string;
  database: string;
  mode: RestoreMode;
  format: ArchiveFormat;
  compression: Compression;
  checksum: ChecksumState;
  durationMs: number;
  /** Scratch databases of killed earlier runs that this run dropped. */
  swept: string[];
}

export async function runRestore(deps: RestoreDeps, options: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const { ctx } = deps;
  const cfg = deps.config.values;
  const { file, expected, database } = await restoreTarget(ctx.cwd, options, cfg);
  const log = (text: string) => deps.events({ type: 'debug', text });
  const step = (what: string) => log(`restore: ${what} (${Math.round(performance.now() - t0)} ms)`);
  const tools = { cwd: ctx.cwd, env: ctx.env, log, signal: ctx.signal };
  preloadExecStream();
  // The checksum (a worker thread for a large file) runs beside everything up to psql's start;
  // not one byte of the file goes to psql, and nobody is asked a question, before it matched.
  const checked = checksumMatches(file, expected, ctx.signal);
  const fresh = restoreScratchName('mcpctl_restore');
  // A failed pre-flight reports a mismatching checksum first.
  const pre = await preflight(deps, { file, database, fresh, tools }).catch(async (e: unknown) => {
    await checked;
    throw e;
  });
  let { hold, targetClient } = pre;
  try {
    const checksum: ChecksumState = expected === undefined ? 'missing' : 'ok';
    const { kind, target, tables } = pre;
    const mode: RestoreMode = tables === undefined ? 'created' : tables === 0 ? 'restored' : 'replaced';
    if (mode !== 'restored' && !hold) throw pre.holdError;
    if (mode !== 'restored') targetClient = await endClient(targetClient);
    if (mode === 'replaced') {
      // A person may take minutes to answer: no connection idles meanwhile.
      if (options.confirm !== database) [hold] = await Promise.all([endClient(hold), checked]);
      await deps.prompter.typed(`database ${database} holds ${tables} table(s); restoring replaces it with the backup.`, database, { flag: '--confirm', given: options.confirm });
    }
    const gate = checked.then(() => {
      deps.events({ type: 'plan', file, database, mode, tables: tables ?? 0, checksum });
      step('checksum matched, pre-flight done');
    });
    gate.catch(() => undefined);
    const admin = maintenanceTarget(cfg, target, database);
    const load = (into: ConnTarget, shared: SharedBefore) =>
      loadBackup(tools, { file, compression: kind.compression, env: libpqEnv(ctx.env, into), shared, gate, onStreaming: () => log(`restore: streaming ${path.basename(file)} into ${into.database}`) });
    const done = (swept: string[]): RestoreResult => ({ ok: true, file, database, mode, format: kind.format, compression: kind.compression, checksum, durationMs: performance.now() - t0, swept });
    if (mode === 'restored') {
      // The target's own connection sweeps and takes the digest (restore-check.ts); it is closed before psql starts.
      hold = await endClient(hold);
      const swept = await sweepScratch(targetClient!).catch(() => [] as string[]);
      const shared = await sharedStateBefore(targetClient!);
      targetClient = await endClient(targetClient);
      await load(target, shared);
      step('committed');
      await requireLogin(target);
      return done(swept);
    }
    // A scratch database, held by a named connection while this run lives, renamed into place after the commit.
    hold ??= await holdScratch(admin, fresh);
    const swept = await sweepScratch(hold).catch(() => [] as string[]);
    await viaScratch({ hold, admin, fresh, target, database, replace: mode === 'replaced', user: cfg.POSTGRES_USER, step }, load);
    return done(swept);
  } catch (e) {
    // Whatever failed while the checksum was still being computed: a mismatch is the news.
    await checked;
    throw e;
  } finally {
    await endClient(hold);
    await endClient(targetClient);
  }
}

/**
 * Creates the scratch database, restores into it, checks the login and renames it into place;
 * dropped again on any failure.
 */
async function viaScratch(
  o: { hold: Client; admin: ConnTarget; fresh: string; target: ConnTarget; database: string; replace: boolean; user: string; step: (what: string) => void },
  load: (into: ConnTarget, shared: SharedBefore) => Promise<unknown>,
): Promise<void> {
  const { hold, fresh } = o;
  let kept = false;
  try {
    await createDatabase(hold, fresh).catch((e: unknown) => {
      throw new UserError(`cannot create database ${fresh}: ${(e as Error).message}`, { hint: `the app user ${o.user} needs CREATEDB (\`mcpctl setup-db\`), or create the database first`, cause: e });
    });
    const shared = await sharedStateBefore(hold);
    o.step(`scratch database ${fresh} created`);
    await load({ ...o.target, database: fresh }, shared);
    o.step('committed');
    await requireLogin({ ...o.target, database: fresh });
    await swapIn(hold, o.database, fresh, o.replace);
    o.step('swapped in');
    kept = true;
  } finally {
    if (!kept) await hold.query(`DROP DATABASE IF EXISTS ${quoteIdent(fresh)} WITH (FORCE)`).catch(() => dropDatabase(o.admin, fresh).catch(() => undefined));
  }
}

/**
 * The second net behind restore-check.ts: after the commit, the app role must still log in
 * with the password mcpctl holds (a real SCRAM login). A scratch database that fails this is
 * never swapped in (the caller drops it).
 */
async function requireLogin(t: ConnTarget): Promise<void> {
  try {
    await withClient(t, (c) => c.query('SELECT 1'));
  } catch (e) {
    throw new UserError(`after the restore committed, the app user ${t.user} can no longer log in to ${t.database}: ${classifyPgError(e)} (${(e as Error).message})`, {
      code: 'unsafe-backup',
      hint: 'the backup changed the role; a new target database was not put in place. Reset the password with `mcpctl setup-db` and inspect the file',
      cause: e,
    });
  }
}

/**
 * Puts `fresh` in place of `database` in one transaction (both renames or neither), then
 * drops the old one; a kill before that drop leaves `<fresh>_old`, which the next run sweeps.
 */
async function swapIn(c: Client, database: string, fresh: string, replace: boolean): Promise<void> {
  const old = `${fresh}_old`;
  try {
    await c.query('BEGIN');
    if (replace) await c.query(`ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(old)}`);
    await c.query(`ALTER DATABASE ${quoteIdent(fresh)} RENAME TO ${quoteIdent(database)}`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw new UserError(`cannot ${replace ? 'replace' : 'create'} database ${database}: ${(e as Error).message}`, {
      hint: replace ? 'close the other connections to it (stop the MCP server) and run the restore again; nothing was changed' : 'nothing was changed',
      cause: e,
    });
  }
  if (replace) await c.query(`DROP DATABASE ${quoteIdent(old)} WITH (FORCE)`);
}
