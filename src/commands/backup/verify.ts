/**
 * `backup --verify`: restores the new file into a uniquely named scratch database and
 * compares the table list and every table's row count with the source's snapshot.
 * The scratch database is dropped in `finally`, also when interrupted.
 */
import type { Client } from 'pg';
import type { Compression, DumpFormat } from './files.js';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { Context } from '../../lib/cli/context.js';
import { UserError } from '../../lib/cli/errors.js';
import { quoteIdent, withClient, type ConnTarget } from '../../lib/pg/client.js';
import { libpqEnv } from './pg-tools.js';
import { loadBackup } from './load.js';
import { sharedStateBefore } from './restore-check.js';
import { createDatabase, dropDatabase, maintenanceTarget, tableCounts, type TableCount } from './databases.js';
import { holdScratch, restoreScratchName } from './sweep.js';

/** One table whose count differs, or that is on one side only (count -1). */
export interface TableDiff {
  table: string;
  source: number;
  restored: number;
}

export interface VerifyOutcome {
  ok: boolean;
  message: string;
  tables: number;
  rows: number;
  differences: TableDiff[];
  scratchDatabase: string;
  durationMs: number;
}

export interface VerifyDeps {
  ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'signal'>;
  config: LoadedConfig;
  log?: (line: string) => void;
}

export interface VerifyInput {
  file: string;
  format: DumpFormat;
  compression: Compression;
  /** A client inside the transaction whose snapshot pg_dump dumped. */
  source: Client;
  /** The app user's target for the source database. */
  target: ConnTarget;
}

/** Compares two table lists with counts; pure. */
export function compareCounts(source: readonly TableCount[], restored: readonly TableCount[]): TableDiff[] {
  const r = new Map(restored.map((t) => [t.table, t.rows]));
  const s = new Map(source.map((t) => [t.table, t.rows]));
  const diffs: TableDiff[] = [];
  for (const t of source) if (r.get(t.table) !== t.rows) diffs.push({ table: t.table, source: t.rows, restored: r.get(t.table) ?? -1 });
  for (const t of restored) if (!s.has(t.table)) diffs.push({ table: t.table, source: -1, restored: t.rows });
  return diffs;
}

export async function verifyBackup(deps: VerifyDeps, input: VerifyInput): Promise<VerifyOutcome> {
  const t0 = performance.now();
  const scratch = restoreScratchName('mcpctl_restorecheck');
  const admin = maintenanceTarget(deps.config.values, input.target, scratch);
  const sourceCounts = await tableCounts(input.source);
  // Held while this run lives: a later run sweeps it only once this process is gone.
  const hold = await holdScratch(admin, scratch);
  try {
    await createDatabase(hold, scratch).catch((e: unknown) => {
      throw new UserError(`--verify could not create a scratch database: ${(e as Error).message}`, { hint: `the app user needs CREATEDB (\`mcpctl setup-db\` grants it)`, cause: e });
    });
    const scratchTarget = { ...input.target, database: scratch };
    await loadBackup(
      { cwd: deps.ctx.cwd, env: deps.ctx.env, log: deps.log, signal: deps.ctx.signal },
      { file: input.file, compression: input.compression, env: libpqEnv(deps.ctx.env, scratchTarget), shared: await sharedStateBefore(hold) },
    );
    const restored = await withClient(scratchTarget, tableCounts);
    const differences = compareCounts(sourceCounts, restored);
    const rows = sourceCounts.reduce((n, t) => n + t.rows, 0);
    const message = differences.length
      ? `${differences.length} table(s) differ: ` +
        differences
          .slice(0, 5)
          .map((d) => `${d.table} ${d.source < 0 ? 'missing in source' : d.restored < 0 ? 'missing after restore' : `${d.source} → ${d.restored} rows`}`)
          .join(', ')
      : `restored ${sourceCounts.length} tables, ${rows} rows: every count matches`;
    return { ok: differences.length === 0, message, tables: sourceCounts.length, rows, differences, scratchDatabase: scratch, durationMs: performance.now() - t0 };
  } finally {
    await hold.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`).catch(() => dropDatabase(admin, scratch).catch(() => undefined));
    await hold.end().catch(() => undefined);
  }
}
