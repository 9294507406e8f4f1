/**
 * `mcpctl backup list`: the backups in a folder, newest first per database, each with
 * its size and whether its content still matches its `.sha256`.
 */
import path from 'node:path';
import { checkChecksum, listBackupFiles, type ChecksumState, type Compression, type DumpFormat } from '../lib/backup-files.js';
import type { Context } from '../lib/context.js';

export interface ListedBackup {
  database: string;
  /** ISO time the backup started (UTC). */
  time: string;
  file: string;
  size: number;
  format: DumpFormat;
  compression: Compression;
  checksum: ChecksumState;
}

export interface BackupListResult {
  /** False when any checksum does not match. */
  ok: boolean;
  dir: string;
  backups: ListedBackup[];
}

export async function runBackupList(deps: { ctx: Pick<Context, 'cwd'> }, options: { dir?: string } = {}): Promise<BackupListResult> {
  const dir = path.resolve(deps.ctx.cwd, options.dir ?? 'backups');
  const backups: ListedBackup[] = [];
  for (const b of await listBackupFiles(dir)) {
    const { state } = await checkChecksum(b.file);
    backups.push({ database: b.database, time: b.time.toISOString(), file: b.file, size: b.size, format: b.format, compression: b.compression, checksum: state });
  }
  return { ok: backups.every((b) => b.checksum !== 'mismatch'), dir, backups };
}
