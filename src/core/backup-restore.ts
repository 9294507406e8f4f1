/**
 * `mcpctl backup restore <file>`: checksum first, then the whole file in one transaction.
 * A missing target is created (owned by the app user); an empty one is restored into; one
 * that holds tables only after its name is confirmed, and then through a scratch database
 * swapped in by renames, so a failed restore leaves the old database untouched.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkChecksum, parseBackupName, type ChecksumState, type Compression, type DumpFormat } from '../lib/backup-files.js';
import type { LoadedConfig } from '../lib/config/load.js';
import type { Context } from '../lib/context.js';
import { UsageError, UserError } from '../lib/errors.js';
import { classifyPgError, connect, quoteIdent, withClient, type ConnTarget } from '../lib/pg.js';
import { libpqEnv, pgToolVersion } from '../lib/pg-dump.js';
import { loadBackup, sniffBackup } from '../lib/pg-load.js';
import { confirmTyped, type PromptDeps } from '../lib/prompts.js';
import { appTargetFor, countTables, createDatabase, dropDatabase, maintenanceTarget, requireDbName, scratchName } from './backup-db.js';

export interface RestoreOptions {
  file: string;
  /** Target database (default: the one in the file name, else POSTGRES_DB). */
  database?: string;
  /** The target's name, confirming that a database holding tables is replaced. */
  confirm?: string;
}

export interface RestoreDeps {
  ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'signal' | 'stdinIsTTY' | 'ci'>;
  config: LoadedConfig;
  yes?: boolean;
  log?: (line: string) => void;
  /** Called before the restore starts (what will happen). */
  onPlan?: (plan: { file: string; database: string; mode: RestoreMode; tables: number; checksum: ChecksumState }) => void;
}

/** created: the database did not exist; restored: it was empty; replaced: it held tables. */
export type RestoreMode = 'created' | 'restored' | 'replaced';

export interface RestoreResult {
  ok: true;
  file: string;
  database: string;
  mode: RestoreMode;
  format: DumpFormat;
  compression: Compression;
  checksum: ChecksumState;
  durationMs: number;
}

export async function runRestore(deps: RestoreDeps, options: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const { ctx } = deps;
  const cfg = deps.config.values;
  const file = path.resolve(ctx.cwd, options.file);
  const st = await fs.stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`backup file ${file} does not exist`, { hint: '`mcpctl backup list` shows the backups' });
  const database = options.database ?? parseBackupName(path.basename(file))?.database ?? cfg.POSTGRES_DB;
  requireDbName(database, options.database ? '--db' : 'the database in the file name');

  const sum = await checkChecksum(file);
  if (sum.state === 'mismatch') {
    throw new UserError(`${path.basename(file)} does not match its checksum: the file is damaged or was changed`, {
      hint: `expected ${sum.expected}, found ${sum.actual}; restore another backup (\`mcpctl backup list\`)`,
    });
  }
  const kind = await sniffBackup(file);
  const tools = { cwd: ctx.cwd, env: ctx.env, log: deps.log, signal: ctx.signal };
  await pgToolVersion(tools, kind.format === 'custom' ? 'pg_restore' : 'psql');

  const target = await appTargetFor(deps.config, ctx, database);
  const tables = await tablesIn(target);
  const mode: RestoreMode = tables === undefined ? 'created' : tables === 0 ? 'restored' : 'replaced';
  if (mode === 'replaced') {
    const prompt: PromptDeps = { ctx, yes: deps.yes ?? false };
    await confirmTyped(prompt, `database ${database} holds ${tables} table(s); restoring replaces it with the backup.`, database, { flag: '--confirm', given: options.confirm });
  }
  deps.onPlan?.({ file, database, mode, tables: tables ?? 0, checksum: sum.state });

  const admin = maintenanceTarget(cfg, target, database);
  const load = (into: ConnTarget) => loadBackup(tools, { file, ...kind, env: libpqEnv(ctx.env, into) });
  if (mode === 'restored') await load(target);
  else {
    // A new database (the target itself, or a scratch one to swap in) is dropped again on any failure.
    const fresh = mode === 'created' ? database : scratchName('mcpctl_restore');
    await withClient(admin, (c) => createDatabase(c, fresh)).catch((e: unknown) => {
      throw new UserError(`cannot create database ${fresh}: ${(e as Error).message}`, { hint: `the app user ${cfg.POSTGRES_USER} needs CREATEDB (\`mcpctl setup-db\`), or create the database first`, cause: e });
    });
    let kept = false;
    try {
      await load({ ...target, database: fresh });
      if (mode === 'replaced') await swapIn(admin, database, fresh);
      kept = true;
    } finally {
      if (!kept) await dropDatabase(admin, fresh).catch(() => undefined);
    }
  }
  return { ok: true, file, database, mode, format: kind.format, compression: kind.compression, checksum: sum.state, durationMs: performance.now() - t0 };
}

/** Number of user tables, or undefined when the database does not exist. */
async function tablesIn(t: ConnTarget): Promise<number | undefined> {
  let c;
  try {
    c = await connect(t);
  } catch (e) {
    if (classifyPgError((e as { cause?: unknown }).cause ?? e) === 'no-database') return undefined;
    throw e;
  }
  try {
    return await countTables(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Renames `fresh` to `database` and drops the old one; the old one is put back if the second rename fails. */
async function swapIn(admin: ConnTarget, database: string, fresh: string): Promise<void> {
  const old = `${fresh}_old`;
  await withClient(admin, async (c) => {
    try {
      await c.query(`ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(old)}`);
    } catch (e) {
      throw new UserError(`cannot replace database ${database}: ${(e as Error).message}`, {
        hint: 'close the other connections to it (stop the MCP server) and run the restore again; nothing was changed',
        cause: e,
      });
    }
    try {
      await c.query(`ALTER DATABASE ${quoteIdent(fresh)} RENAME TO ${quoteIdent(database)}`);
    } catch (e) {
      await c.query(`ALTER DATABASE ${quoteIdent(old)} RENAME TO ${quoteIdent(database)}`);
      throw e;
    }
    await c.query(`DROP DATABASE ${quoteIdent(old)} WITH (FORCE)`);
  });
}
