/**
 * `mcpctl backup list`: every dump-looking file in the folder, newest first per database.
 * mcpctl's own backups (its name and a `.sha256` beside it) show their database and
 * whether the content still matches; any other dump (the old scripts', pg_dump's by hand)
 * is listed as foreign with its detected format and no checksum — restoring one needs --db.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkChecksum, parseBackupName, type ChecksumState, type Compression } from '../lib/backup-files.js';
import type { Context } from '../lib/context.js';
import { sniffBackup, sniffCompression, type ArchiveFormat } from '../lib/pg-load.js';

export interface ListedBackup {
  /** The database an mcpctl backup holds; undefined for a foreign file (its name does not prove it). */
  database?: string;
  /** mcpctl's own backup, or a file made some other way. */
  origin: 'mcpctl' | 'foreign';
  /** ISO time: the name's stamp (UTC for mcpctl; local time for the old scripts' names), else the file's mtime. */
  time: string;
  file: string;
  size: number;
  format: ArchiveFormat;
  compression: Compression;
  checksum: ChecksumState;
}

export interface BackupListResult {
  /** False when any checksum does not match. */
  ok: boolean;
  dir: string;
  backups: ListedBackup[];
}

// Names a dump usually has; content that sniffs as an archive or compressed counts too.
const DUMPISH = /\.(?:sql|dump|backup|pgdump|psql|tar)(?:\.(?:gz|zst))?$|\.(?:gz|zst)$/i;
// The old scripts' `<name>_<YYYYMMDD_HHMMSS>` stamps were `date +%Y%m%d_%H%M%S`: local time.
const STAMP = /_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:-\d+)?\./;

export async function runBackupList(deps: { ctx: Pick<Context, 'cwd' | 'env'> }, options: { dir?: string } = {}): Promise<BackupListResult> {
  const dir = path.resolve(deps.ctx.cwd, options.dir ?? 'backups');
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const tools = { cwd: deps.ctx.cwd, env: deps.ctx.env };
  const backups: ListedBackup[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.') || name.endsWith('.sha256')) continue;
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    const parsed = parseBackupName(name);
    // A damaged file is still listed (its checksum says so): its name, else its outer compression, tells the rest.
    const kind = await sniffBackup(tools, file).catch(async () => ({ format: (parsed?.format ?? 'sql') as ArchiveFormat, compression: await sniffCompression(file).catch(() => 'none' as const) }));
    const { state } = await checkChecksum(file);
    if (!parsed && !DUMPISH.test(name) && kind.format === 'sql' && kind.compression === 'none') continue;
    const mcpctl = parsed !== undefined && state !== 'missing';
    backups.push({
      database: mcpctl ? parsed.database : undefined,
      origin: mcpctl ? 'mcpctl' : 'foreign',
      time: (mcpctl ? parsed.time : (localStamp(name) ?? st.mtime)).toISOString(),
      file,
      size: st.size,
      format: kind.format,
      compression: kind.compression,
      checksum: state,
    });
  }
  backups.sort((a, b) => (a.database ?? '\uffff').localeCompare(b.database ?? '\uffff') || b.time.localeCompare(a.time));
  return { ok: backups.every((b) => b.checksum !== 'mismatch'), dir, backups };
}

function localStamp(name: string): Date | undefined {
  const m = STAMP.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(y, mo - 1, d, h, mi, s);
  return t.getFullYear() === y && t.getMonth() === mo - 1 && t.getDate() === d ? t : undefined;
}
