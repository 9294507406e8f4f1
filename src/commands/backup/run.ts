/**
 * `mcpctl backup`: pre-flight (versions, folder, databases), then each database streamed
 * by pg_dump into a temporary file that becomes `<db>_<stamp>.<ext>` only after pg_dump
 * exited 0, with a `.sha256` beside it; optional restore check and pruning.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import { backupFileName, backupsToPrune, checksumPath, listBackupFiles, type Compression, type DumpFormat } from './files.js';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { InterruptedError, UsageError, UserError } from '../../lib/cli/errors.js';
import { redact } from '../../lib/cli/redact.js';
import { connect, serverVersion, withClient, type ConnTarget } from '../../lib/pg/client.js';
import { preloadExecStream } from '../../lib/process/exec.js';
import { dumpToFile, startDump, stopDump, type DumpPlan, type StartedDump } from './dump.js';
import { hasProgram, libpqEnv, pgToolVersion, requireDumpNotOlder } from './pg-tools.js';
import type { Version } from '../../lib/pg/versions.js';
import { appTargetFor, mapLimit, requireDbName } from './databases.js';
import { publish, sweepTempFiles, tempPath } from './publish.js';
import { sweepScratch } from './sweep.js';
import { verifyBackup, type VerifyOutcome } from './verify.js';
import { ensureWritableDir, unignoredFolderWarning } from './folder.js';

/** gzip level used by default: level 1 measured fastest at a ratio close to level 6 (docs/backup.md). */
export const DEFAULT_GZIP_LEVEL = 1;
export const DEFAULT_ZSTD_LEVEL = 1;
/** How gzip runs by default, chosen by `npm run bench -- backup` (docs/backup.md). */
export const DEFAULT_GZIP_WITH: 'zlib' | 'gzip' = 'zlib';

export interface BackupOptions {
  /** Databases to back up (default POSTGRES_DB). */
  databases?: string[];
  /** Every database the app role owns. */
  allProjects?: boolean;
  /** Target folder, relative to the project (default `backups`). */
  dir?: string;
  format?: DumpFormat;
  compress?: Compression;
  verify?: boolean;
  /** After a success, keep this many of the database's newest backups. */
  keep?: number;
  /** Databases dumped at once (default 2). */
  concurrency?: number;
  /** gzip in-process (node:zlib) or through the system `gzip` (default: by measurement, see DEFAULT_GZIP_WITH). */
  gzipWith?: 'zlib' | 'gzip';
}

/** Progress of one database's dump. */
export interface BackupProgress {
  database: string;
  /** Uncompressed bytes read from pg_dump (undefined with zstd). */
  dumped?: number;
  /** Bytes written to the file. */
  written: number;
  elapsedMs: number;
}

/** What backup tells its adapter: each database's progress, and the commands it runs (--debug). */
export type BackupEvent = ({ type: 'progress' } & BackupProgress) | DebugEvent;

export type BackupDeps = Pick<CoreDeps<BackupEvent, LoadedConfig>, 'config' | 'events'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'home' | 'now' | 'signal' | 'secrets' | 'libpqSocketDir'>;
};

/** The outcome for one database. */
export interface DatabaseBackup {
  database: string;
  ok: boolean;
  /** Not attempted: the database refuses the app role's connections (`error` says why). */
  skipped?: boolean;
  path?: string;
  size?: number;
  sha256?: string;
  /** Uncompressed size of the dump. */
  dumpedBytes?: number;
  durationMs: number;
  verify?: VerifyOutcome;
  /** Older backups deleted by --keep. */
  pruned: string[];
  error?: { message: string; hint?: string };
}

export interface BackupResult {
  ok: boolean;
  dir: string;
  format: DumpFormat;
  compression: Compression;
  pgDump: string;
  serverMajor: number;
  backups: DatabaseBackup[];
  /** Things worth knowing that did not fail the backup (e.g. the folder is not git-ignored). */
  warnings: string[];
  /** Leftovers of killed earlier runs removed by this one (temporary files, scratch databases). */
  swept: string[];
}

export async function runBackup(deps: BackupDeps, options: BackupOptions = {}): Promise<BackupResult> {
  const { ctx } = deps;
  const runStart = ctx.now();
  const cfg = deps.config.values;
  const format = options.format ?? 'sql';
  const compression: Compression = options.compress ?? 'gzip';
  if (options.allProjects && options.databases?.length) throw new UsageError('--db and --all-projects exclude each other', { hint: 'pass one of them' });
  for (const d of options.databases ?? []) requireDbName(d, '--db');
  const log = (text: string) => deps.events({ type: 'debug', text });
  const tools = { cwd: ctx.cwd, env: ctx.env, log, signal: ctx.signal };

  // Pre-flight, in parallel (each spawn or SCRAM login costs real time): nothing is written before every check passed.
  const firstDb = options.databases?.[0] ?? cfg.POSTGRES_DB;
  const wantZstd = format === 'sql' && compression === 'zstd';
  const wantGzip = format === 'sql' && compression === 'gzip' && (options.gzipWith ?? DEFAULT_GZIP_WITH) === 'gzip';
  const dir = path.resolve(ctx.cwd, options.dir ?? 'backups');
  preloadExecStream();
  const probeTarget = appTargetFor(deps.config, ctx, firstDb);
  // One database without --verify: pg_dump starts with the pre-flight, its output held in the
  // pipe (backpressure) until every check passed; a failed check stops it, nothing written.
  const zstdFound = wantZstd ? hasProgram(tools, 'zstd') : Promise.resolve(true);
  const single = !options.allProjects && !options.verify && !wantGzip && new Set(options.databases?.length ? options.databases : [firstDb]).size === 1;
  const early: EarlyDump | undefined = single
    ? Promise.all([probeTarget, zstdFound]).then(async ([t, ok]) => (ok ? { at: ctx.now(), started: await startDump(tools, dumpPlan(format, compression, libpqEnv(ctx.env, t))) } : undefined))
    : undefined;
  early?.catch(() => undefined);
  let handedOver = false;
  try {
    const [pgDump, server, zstdOk, gzipFound, warnings] = await Promise.all([
      pgToolVersion(tools, 'pg_dump'),
      probeTarget.then((probe) =>
        withClient(probe, async (c) => ({
          major: (await serverVersion(c)).major,
          owned: options.allProjects ? await ownedDatabases(c) : [],
          swept: await sweepScratch(c).catch(() => [] as string[]),
        })),
      ),
      zstdFound,
      wantGzip ? hasProgram(tools, 'gzip') : Promise.resolve(false),
      // Read-only (git check-ignore works for a folder that does not exist yet).
      unignoredFolderWarning(tools, dir),
    ]);
    // Without a gzip program, node:zlib does the same job inside mcpctl.
    const gzipWith = gzipFound ? 'gzip' : 'zlib';
    const serverMajor = server.major;
    requireDumpNotOlder(pgDump, serverMajor);
    if (!zstdOk) {
      throw new UsageError('--compress zstd needs the zstd program, which is not on PATH', { hint: 'install it (apt install zstd, brew install zstd) or use --compress gzip' });
    }
    if (format === 'custom' && compression === 'zstd' && pgDump.major < 16) {
      throw new UsageError(`pg_dump ${pgDump.raw} cannot compress custom format with zstd (needs 16 or newer)`, { hint: 'use --compress gzip with --format custom, or --format sql --compress zstd' });
    }
    await ensureWritableDir(dir);
    const swept = [...server.swept, ...(await sweepTempFiles(dir, runStart))];
    const databases: Owned[] = options.allProjects ? server.owned : (options.databases?.length ? [...new Set(options.databases)] : [cfg.POSTGRES_DB]).map((name) => ({ name }));
    if (options.allProjects && databases.length === 0) throw new UserError(`the app role ${cfg.POSTGRES_USER} owns no database`, { hint: 'run `mcpctl setup-db`' });

    handedOver = true;
    const one = (d: Owned) => (d.refusal ? Promise.resolve(refused(d)) : backupOne(deps, { ...options, gzipWith, format, compression, dir, database: d.name, pgDump, early: d.name === firstDb ? early : undefined }));
    const backups = await mapLimit(databases, Math.max(1, options.concurrency ?? 2), one);
    if (ctx.signal.aborted) throw new InterruptedError('backup interrupted; temporary files and scratch databases were removed');
    return { ok: backups.every((b) => b.ok), dir, format, compression, pgDump: pgDump.raw, serverMajor, backups, warnings, swept };
  } finally {
    if (!handedOver) await early?.then((e) => e && stopDump(e.started), () => undefined);
  }
}

/** pg_dump's arguments (never a credential, nor the database: that travels as PGDATABASE) and the compression around it. */
function dumpPlan(format: DumpFormat, compression: Compression, env: Record<string, string>, gzipWith: 'zlib' | 'gzip' = 'zlib'): DumpPlan {
  const args = ['--no-password', '--no-owner', '--no-acl'];
  if (format === 'custom') args.push('--format=custom', `--compress=${compression === 'none' ? '0' : compression === 'zstd' ? 'zstd' : String(DEFAULT_GZIP_LEVEL)}`);
  else args.push('--format=plain');
  return { args, env, compression: format === 'custom' ? 'none' : compression, gzipLevel: DEFAULT_GZIP_LEVEL, gzipWith, zstdLevel: DEFAULT_ZSTD_LEVEL };
}

/** A database the app role owns, and why it cannot be backed up when it cannot (no connection is possible). */
interface Owned {
  name: string;
  refusal?: string;
}

/**
 * Every database the app role owns — also those that refuse its connections, which are reported
 * as not backed up with the reason instead of being left out silently (review A11).
 */
async function ownedDatabases(c: Client): Promise<Owned[]> {
  const r = await c.query<{ datname: string; refusal: string | null }>(
    `SELECT datname,
            CASE WHEN NOT datallowconn THEN 'it does not allow connections (ALTER DATABASE … ALLOW_CONNECTIONS false)'
                 WHEN NOT has_database_privilege(current_user, oid, 'CONNECT') THEN 'the app role may not connect to it (CONNECT privilege revoked)'
                 WHEN datconnlimit = 0 THEN 'its connection limit is 0 (ALTER DATABASE … CONNECTION LIMIT 0)'
            END AS refusal
       FROM pg_database
      WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND NOT datistemplate
        AND datname !~ '^mcpctl_(restorecheck|restore)_'
      ORDER BY datname`,
  );
  return r.rows.map((x) => ({ name: x.datname, refusal: x.refusal ?? undefined }));
}

/** The result for a database that refuses connections: not backed up, with the reason. */
function refused(o: Owned): DatabaseBackup {
  return {
    database: o.name,
    ok: false,
    skipped: true,
    durationMs: 0,
    pruned: [],
    error: { message: `not backed up: ${o.refusal}`, hint: `allow the app role to connect to ${o.name}, or ignore this if the database is retired` },
  };
}

/** A dump started with the pre-flight, and when. */
type EarlyDump = Promise<{ at: Date; started: StartedDump } | undefined>;

type OneOptions = BackupOptions & { format: DumpFormat; compression: Compression; dir: string; database: string; pgDump: Version; early?: EarlyDump };

async function backupOne(deps: BackupDeps, o: OneOptions): Promise<DatabaseBackup> {
  const { ctx } = deps;
  const t0 = performance.now();
  // Taken over here: written, or stopped in `finally`. (One that failed to start is started again.)
  let early = await o.early?.catch(() => undefined);
  const started = early?.at ?? ctx.now();
  const base: DatabaseBackup = { database: o.database, ok: false, durationMs: 0, pruned: [] };
  let snapshot: Client | undefined;
  try {
    const target = await appTargetFor(deps.config, ctx, o.database);
    const plan = dumpPlan(o.format, o.compression, libpqEnv(ctx.env, target), o.gzipWith);
    const args = plan.args;
    if (o.verify) {
      // The row counts are taken from the very snapshot pg_dump dumps, so live writes cannot cause a false mismatch.
      snapshot = await connect(target);
      await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const id = (await snapshot.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
      args.push(`--snapshot=${id}`);
    }
    // The database travels as PGDATABASE (libpqEnv): a name like `host=x` in argv would be read as a connection string.
    const finalName = backupFileName(o.database, started, o.format, o.format === 'custom' ? 'none' : o.compression);
    const tempFile = tempPath(o.dir, finalName);
    const running = early?.started;
    early = undefined;
    const dumped = await dumpToFile(
      { cwd: ctx.cwd, env: ctx.env, log: (text) => deps.events({ type: 'debug', text }), signal: ctx.signal },
      { ...plan, tempFile, onProgress: (p) => deps.events({ type: 'progress', database: o.database, ...p, elapsedMs: performance.now() - t0 }) },
      running,
    );
    const file = await publish(tempFile, o.dir, (seq) => backupFileName(o.database, started, o.format, o.format === 'custom' ? 'none' : o.compression, seq), dumped.sha256);
    Object.assign(base, { path: file, size: dumped.size, sha256: dumped.sha256, dumpedBytes: dumped.dumped });
    if (o.verify) {
      base.verify = await verifyBackup(
        { ctx, config: deps.config, log: (text) => deps.events({ type: 'debug', text }) },
        { file, format: o.format, compression: o.format === 'custom' ? 'none' : o.compression, source: snapshot!, target },
      );
      if (!base.verify.ok) throw new UserError(`backup ${path.basename(file)} was written but does not restore the same: ${base.verify.message}`, { hint: 'the file is kept for inspection; older backups were not pruned' });
    }
    if (o.keep !== undefined) {
      for (const old of backupsToPrune(await listBackupFiles(o.dir), o.database, o.keep)) {
        await fs.rm(old.file, { force: true });
        await fs.rm(checksumPath(old.file), { force: true });
        base.pruned.push(old.file);
      }
    }
    base.ok = true;
  } catch (e) {
    if (e instanceof InterruptedError || ctx.signal.aborted) throw e instanceof InterruptedError ? e : new InterruptedError();
    if (e instanceof UserError) base.error = { message: e.message, hint: e.hint };
    // A file-system or server error for this one database (a name the folder cannot hold, a lost connection): reported, the others go on.
    else if (typeof (e as NodeJS.ErrnoException)?.code === 'string') base.error = { message: redact((e as Error).message) };
    else throw e;
  } finally {
    if (early) await stopDump(early.started);
    await snapshot?.end().catch(() => undefined);
    base.durationMs = performance.now() - t0;
  }
  return base;
}

export type { ConnTarget };
