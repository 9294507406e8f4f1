/**
 * `mcpctl backup restore <file>`: checksum first, then the whole file in one transaction
 * that only mcpctl commits (src/lib/pg-load.ts). An empty target is restored into; a
 * missing one, or one that holds tables (after its name is confirmed), through a scratch
 * database renamed into place only after the commit — so a failed or killed restore
 * leaves the target as it was, and the next run sweeps the scratch database.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkChecksum, parseBackupName, type ChecksumState, type Compression, } from './files.js';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { UsageError, UserError } from '../../lib/cli/errors.js';
import { classifyPgError, connect, quoteIdent, withClient, type ConnTarget } from '../../lib/pg/client.js';
import type { Client } from 'pg';
import { libpqEnv, pgToolVersion } from './pg-tools.js';
import { loadBackup, sniffBackup, type ArchiveFormat } from './load.js';
import { appTargetFor, countTables, createDatabase, dropDatabase, maintenanceTarget, requireDbName } from './databases.js';
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
  const file = path.resolve(ctx.cwd, options.file);
  const st = await fs.stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`backup file ${file} does not exist`, { hint: '`mcpctl backup list` shows the backups' });
  const sum = await checkChecksum(file);
  // Only mcpctl's name with mcpctl's checksum beside it says which database a file holds:
  // the old scripts' `workflow_mcp_<stamp>.sql.gz` held project_registry.
  const named = sum.state === 'missing' ? undefined : parseBackupName(path.basename(file))?.database;
  const database = options.database ?? named;
  if (database === undefined) {
    const why = sum.state === 'missing' && parseBackupName(path.basename(file)) ? 'without its .sha256, its name is not trusted to say' : 'its name does not say';
    throw new UsageError(`${path.basename(file)} is not an mcpctl backup with a checksum: ${why} which database it holds`, {
      hint: `name the target with --db (e.g. --db ${cfg.POSTGRES_DB})`,
    });
  }
  requireDbName(database, options.database ? '--db' : 'the database in the file name');

  if (sum.state === 'mismatch') {
    throw new UserError(`${path.basename(file)} does not match its checksum: the file is damaged or was changed`, {
      hint: `expected ${sum.expected}, found ${sum.actual}; restore another backup (\`mcpctl backup list\`)`,
    });
  }
  const log = (text: string) => deps.events({ type: 'debug', text });
  const tools = { cwd: ctx.cwd, env: ctx.env, log, signal: ctx.signal };
  // Independent, read-only look-ups at once: each costs a spawn or a login.
  const target = await appTargetFor(deps.config, ctx, database);
  const [kind, , tables] = await Promise.all([sniffBackup(tools, file), pgToolVersion(tools, 'psql'), tablesIn(target)]);
  if (kind.format !== 'sql') await pgToolVersion(tools, 'pg_restore');
  const mode: RestoreMode = tables === undefined ? 'created' : tables === 0 ? 'restored' : 'replaced';
  if (mode === 'replaced') {
    await deps.prompter.typed(`database ${database} holds ${tables} table(s); restoring replaces it with the backup.`, database, { flag: '--confirm', given: options.confirm });
  }
  deps.events({ type: 'plan', file, database, mode, tables: tables ?? 0, checksum: sum.state });

  const admin = maintenanceTarget(cfg, target, database);
  const load = (into: ConnTarget) =>
    loadBackup(tools, { file, compression: kind.compression, env: libpqEnv(ctx.env, into), onStreaming: () => log(`restore: streaming ${path.basename(file)} into ${into.database}`) });
  if (mode === 'restored') {
    const swept = await withClient(admin, sweepScratch).catch(() => [] as string[]);
    await load(target);
    await requireLogin(target);
    return { ok: true, file, database, mode, format: kind.format, compression: kind.compression, checksum: sum.state, durationMs: performance.now() - t0, swept };
  }
  // A scratch database, held by a named connection while this run lives, renamed into place after the commit.
  const fresh = restoreScratchName('mcpctl_restore');
  const hold = await holdScratch(admin, fresh);
  const swept = await sweepScratch(hold).catch(() => [] as string[]);
  let kept = false;
  try {
    await createDatabase(hold, fresh).catch((e: unknown) => {
      throw new UserError(`cannot create database ${fresh}: ${(e as Error).message}`, { hint: `the app user ${cfg.POSTGRES_USER} needs CREATEDB (\`mcpctl setup-db\`), or create the database first`, cause: e });
    });
    await load({ ...target, database: fresh });
    await requireLogin({ ...target, database: fresh });
    await swapIn(hold, database, fresh, mode === 'replaced');
    kept = true;
  } finally {
    if (!kept) await hold.query(`DROP DATABASE IF EXISTS ${quoteIdent(fresh)} WITH (FORCE)`).catch(() => dropDatabase(admin, fresh).catch(() => undefined));
    await hold.end().catch(() => undefined);
  }
  return { ok: true, file, database, mode, format: kind.format, compression: kind.compression, checksum: sum.state, durationMs: performance.now() - t0, swept };
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

/** Number of user tables, or undefined when the database does not exist. */
async function tablesIn(t: ConnTarget): Promise<number | undefined> {
  let c;
  try {
    c = await connect(t);
  } catch (e) {
    if (classifyPgError(e) === 'no-database') return undefined;
    throw e;
  }
  try {
    return await countTables(c);
  } finally {
    await c.end().catch(() => undefined);
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
