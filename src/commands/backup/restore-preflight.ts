/**
 * What `backup restore` settles before it starts: the file and its target, its checksum (computed
 * while everything else proceeds), and the read-only look-ups — format, psql, the target's tables,
 * the scratch database's holding connection — all at once.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import { hashFileAside, parseBackupName, readChecksum, type Compression } from './files.js';
import type { Config } from '../../lib/config/keys.js';
import { InterruptedError, UsageError, UserError } from '../../lib/cli/errors.js';
import { classifyPgError, connect, type ConnTarget } from '../../lib/pg/client.js';
import { pgToolVersion, type ToolDeps } from './pg-tools.js';
import { sniffBackup, type ArchiveFormat } from './load.js';
import { appTargetFor, countTables, maintenanceTarget, requireDbName } from './databases.js';
import { holdScratch } from './sweep.js';
import type { RestoreDeps, RestoreOptions } from './restore.js';

/** The file (absolute), its recorded checksum (undefined without a .sha256), and the target database. */
export async function restoreTarget(cwd: string, options: RestoreOptions, cfg: Config): Promise<{ file: string; expected?: string; database: string }> {
  const file = path.resolve(cwd, options.file);
  const st = await fs.stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`backup file ${file} does not exist`, { hint: '`mcpctl backup list` shows the backups' });
  const expected = await readChecksum(file);
  // Only mcpctl's name with mcpctl's checksum beside it says which database a file holds:
  // the old scripts' `workflow_mcp_<stamp>.sql.gz` held project_registry.
  const named = expected === undefined ? undefined : parseBackupName(path.basename(file))?.database;
  const database = options.database ?? named;
  if (database === undefined) {
    const why = expected === undefined && parseBackupName(path.basename(file)) ? 'without its .sha256, its name is not trusted to say' : 'its name does not say';
    throw new UsageError(`${path.basename(file)} is not an mcpctl backup with a checksum: ${why} which database it holds`, {
      hint: `name the target with --db (e.g. --db ${cfg.POSTGRES_DB})`,
    });
  }
  requireDbName(database, options.database ? '--db' : 'the database in the file name');
  return { file, expected, database };
}

/** Resolves when the file matches its checksum (or has none); rejects with the refusal otherwise. */
export function checksumMatches(file: string, expected: string | undefined, signal: AbortSignal): Promise<void> {
  const checked = (expected === undefined ? Promise.resolve(undefined) : hashFileAside(file, signal))
    .then((sum) => {
      if (sum !== expected) {
        throw new UserError(`${path.basename(file)} does not match its checksum: the file is damaged or was changed`, {
          hint: `expected ${expected}, found ${sum}; restore another backup (\`mcpctl backup list\`)`,
        });
      }
    })
    .catch((e: unknown) => {
      throw signal.aborted ? new InterruptedError('restore interrupted before it started; nothing was changed') : e;
    });
  checked.catch(() => undefined);
  return checked;
}

export interface Preflight {
  kind: { format: ArchiveFormat; compression: Compression };
  target: ConnTarget;
  /** User tables in the target; undefined when it does not exist. */
  tables?: number;
  /** A connection to the target, when it exists. */
  targetClient?: Client;
  /** The connection that will hold the scratch database, opened early; its failure counts only when a scratch database is needed. */
  hold?: Client;
  holdError?: unknown;
}

/**
 * Every read-only look-up at once, each costing a spawn or a login: the file's format, psql, the
 * target's tables, and the scratch database's holding connection. Waits for all of them, so no
 * connection is left open when one fails.
 */
export async function preflight(deps: RestoreDeps, o: { file: string; database: string; fresh: string; tools: ToolDeps }): Promise<Preflight> {
  const cfg = deps.config.values;
  const target = appTargetFor(deps.config, deps.ctx, o.database);
  const [kind, psql, opened, hold] = await Promise.allSettled([
    sniffBackup(o.tools, o.file),
    pgToolVersion(o.tools, 'psql'),
    target.then(async (t) => {
      const c = await connectIfExists(t);
      return { c, tables: c ? await countTables(c) : undefined };
    }),
    target.then((t) => holdScratch(maintenanceTarget(cfg, t, o.database), o.fresh)),
  ]);
  const value = <T>(r: PromiseSettledResult<T>): T => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  };
  try {
    value(psql);
    const { c, tables } = value(opened);
    const format = value(kind);
    if (format.format !== 'sql') await pgToolVersion(o.tools, 'pg_restore');
    return { kind: format, target: await target, tables, targetClient: c, hold: hold.status === 'fulfilled' ? hold.value : undefined, holdError: hold.status === 'rejected' ? hold.reason : undefined };
  } catch (e) {
    if (opened.status === 'fulfilled') await endClient(opened.value.c);
    if (hold.status === 'fulfilled') await endClient(hold.value);
    if (deps.ctx.signal.aborted) throw new InterruptedError('restore interrupted before it started; nothing was changed');
    throw e;
  }
}

/** Closes a connection (errors ignored); returns undefined for the caller's variable. */
export async function endClient(c: Client | undefined): Promise<undefined> {
  await c?.end().catch(() => undefined);
  return undefined;
}

/** A connection to the database, or undefined when it does not exist. */
async function connectIfExists(t: ConnTarget): Promise<Client | undefined> {
  try {
    return await connect(t);
  } catch (e) {
    if (classifyPgError(e) === 'no-database') return undefined;
    throw e;
  }
}

