/**
 * Backup file names and checksum files: `<db>_<YYYYMMDD_HHMMSS>[-N].<ext>` beside
 * `<file>.sha256` (the `sha256sum` format, so `sha256sum -c` checks it too).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-write.js';

/** How a backup is compressed (`none` for plain SQL and for custom format). */
export type Compression = 'gzip' | 'zstd' | 'none';
/** pg_dump's output format. */
export type DumpFormat = 'sql' | 'custom';

/** What a backup file's name says about it. */
export interface BackupName {
  database: string;
  /** When the backup started (UTC). */
  time: Date;
  format: DumpFormat;
  compression: Compression;
  /** The collision counter (two backups of one database in one second). */
  seq: number;
}

const EXTENSIONS: { ext: string; format: DumpFormat; compression: Compression }[] = [
  { ext: '.sql.gz', format: 'sql', compression: 'gzip' },
  { ext: '.sql.zst', format: 'sql', compression: 'zstd' },
  { ext: '.sql', format: 'sql', compression: 'none' },
  { ext: '.dump', format: 'custom', compression: 'none' },
];

// The timestamp part is fixed width, so database names may themselves contain `_`.
const NAME = /^(.+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:-(\d+))?(\.sql\.gz|\.sql\.zst|\.sql|\.dump)$/;

/** The file extension for a format and compression. */
export function backupExtension(format: DumpFormat, compression: Compression): string {
  if (format === 'custom') return '.dump';
  return EXTENSIONS.find((e) => e.format === 'sql' && e.compression === compression)!.ext;
}

/** `20260126_093015` in UTC (names sort by time whatever the time zone or DST). */
export function backupStamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * A database name as a file name part: bytes outside `[A-Za-z0-9_-]` become `%XX` (UTF-8),
 * so no `/`, `.`, `..`, space or control character ever reaches the file system, and
 * distinct names stay distinct (decodeDbName reverses it exactly).
 */
export function encodeDbName(database: string): string {
  let out = '';
  for (const byte of Buffer.from(database, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Reverses encodeDbName; names from older versions (with a literal `$`) pass through. */
export function decodeDbName(part: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(part)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < part.length; i++) {
    if (part[i] === '%') {
      bytes.push(parseInt(part.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(part[i]!, 'utf8'));
  }
  const text = Buffer.from(bytes).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(bytes)) ? text : undefined;
}

/** The file name of a backup (without folder). */
export function backupFileName(database: string, time: Date, format: DumpFormat, compression: Compression, seq = 0): string {
  return `${encodeDbName(database)}_${backupStamp(time)}${seq > 0 ? `-${seq}` : ''}${backupExtension(format, compression)}`;
}

/** A backup's temporary name: hidden, and naming the process that writes it (so later runs can sweep it once that process is gone). */
export function tempFileName(finalName: string, pid: number, random: string): string {
  return `.${finalName}.mcpctl-${pid}-${random}.tmp`;
}

/** The writer's pid of a temporary backup file (undefined for other names; 0 for names of older versions, which had none). */
export function tempFileOwner(name: string): number | undefined {
  const m = /^\..+\.mcpctl-(?:(\d+)-)?[0-9a-f]+\.tmp$/.exec(name);
  return m ? Number(m[1] ?? 0) : undefined;
}

/** Parses a backup file name; undefined for anything else (temp files, checksums, strangers). */
export function parseBackupName(fileName: string): BackupName | undefined {
  const m = NAME.exec(fileName);
  if (!m) return undefined;
  const [, encoded, y, mo, d, h, mi, s, seq, ext] = m;
  const time = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (Number.isNaN(time.getTime()) || backupStamp(time) !== `${y}${mo}${d}_${h}${mi}${s}`) return undefined;
  const database = decodeDbName(encoded!);
  if (database === undefined) return undefined;
  const kind = EXTENSIONS.find((e) => e.ext === ext)!;
  return { database, time, format: kind.format, compression: kind.compression, seq: seq ? Number(seq) : 0 };
}

/** Newest first (time, then collision counter). */
export function compareNewestFirst(a: BackupName, b: BackupName): number {
  return b.time.getTime() - a.time.getTime() || b.seq - a.seq;
}

export function checksumPath(file: string): string {
  return `${file}.sha256`;
}

/** Writes `<file>.sha256` atomically in the `sha256sum` format. */
export async function writeChecksum(file: string, sha256: string): Promise<void> {
  await writeFileAtomic(checksumPath(file), `${sha256}  ${path.basename(file)}\n`, { mode: 0o644 });
}

/** The recorded checksum, or undefined when there is no (readable, well-formed) checksum file. */
export async function readChecksum(file: string): Promise<string | undefined> {
  const text = await fs.readFile(checksumPath(file), 'utf8').catch(() => undefined);
  const m = text === undefined ? null : /^([0-9a-f]{64})\b/i.exec(text.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/** SHA-256 of a file, read as a stream (flat memory). */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The worker of `hashFileAside`: CommonJS, evaluated as is (no file to find in a bundle). */
const HASH_WORKER = `const { parentPort, workerData } = require('node:worker_threads');
const h = require('node:crypto').createHash('sha256');
require('node:fs').createReadStream(workerData, { highWaterMark: 1 << 20 })
  .on('data', (c) => h.update(c))
  .on('error', (e) => parentPort.postMessage({ error: e.message, code: e.code }))
  .on('end', () => parentPort.postMessage({ hex: h.digest('hex') }));`;

/** Files smaller than this are hashed in the calling thread (a worker costs a few tens of ms to start). */
const ASIDE_FROM = 16 << 20;

/**
 * SHA-256 of a file, like `hashFile`, but a large one is hashed in a worker thread: on another
 * core, while the caller's thread goes on with the logins and spawns it waits for (restore's
 * pre-flight). `signal` ends the worker.
 */
export async function hashFileAside(file: string, signal?: AbortSignal): Promise<string> {
  const st = await fs.stat(file);
  if (st.size < ASIDE_FROM) return hashFile(file);
  const { Worker } = await import('node:worker_threads');
  if (signal?.aborted) throw new Error('hashing interrupted');
  const worker = new Worker(HASH_WORKER, { eval: true, workerData: file });
  const stop = () => void worker.terminate();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      worker.once('message', (m: { hex?: string; error?: string; code?: string }) =>
        m.hex ? resolve(m.hex) : reject(Object.assign(new Error(m.error ?? 'hashing failed'), { code: m.code })),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(signal?.aborted ? 'hashing interrupted' : `hashing ended early (${code})`)));
    });
  } finally {
    signal?.removeEventListener('abort', stop);
    await worker.terminate();
  }
}

/** Whether a backup's content matches its checksum file. */
export type ChecksumState = 'ok' | 'mismatch' | 'missing';

export async function checkChecksum(file: string): Promise<{ state: ChecksumState; expected?: string; actual?: string }> {
  const expected = await readChecksum(file);
  if (expected === undefined) return { state: 'missing' };
  const actual = await hashFile(file);
  return { state: actual === expected ? 'ok' : 'mismatch', expected, actual };
}

/** One backup found in a folder. */
export interface BackupEntry extends BackupName {
  file: string;
  name: string;
  size: number;
}

/** The backups in `dir` (files whose names parse), newest first; a missing folder has none. */
export async function listBackupFiles(dir: string): Promise<BackupEntry[]> {
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const out: BackupEntry[] = [];
  for (const name of names) {
    const parsed = parseBackupName(name);
    if (!parsed) continue;
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    out.push({ ...parsed, file, name, size: st.size });
  }
  return out.sort((a, b) => a.database.localeCompare(b.database) || compareNewestFirst(a, b));
}

/** Which of a database's backups fall beyond the newest `keep` (to delete). */
export function backupsToPrune(entries: readonly BackupEntry[], database: string, keep: number): BackupEntry[] {
  return entries
    .filter((e) => e.database === database)
    .sort(compareNewestFirst)
    .slice(keep);
}
