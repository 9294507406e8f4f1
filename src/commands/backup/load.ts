/**
 * Loads a backup into a database, all or nothing, whoever dies:
 *   file → [gunzip | zstd -d] → [pg_restore -f - for custom/tar archives] → guard → psql
 * psql gets `BEGIN;` from mcpctl first and `COMMIT;` only after mcpctl saw the whole
 * file through the guard (psql-guard.ts), every producer exited 0, and the check of
 * restore-check.ts found that the transaction changed nothing outside the target database. There is
 * no --single-transaction: when mcpctl dies (kill -9 included), psql reads end of input
 * inside the open transaction and the server rolls it back. pg_restore never connects
 * to the database itself; it only turns an archive into SQL that the same guard checks.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InterruptedError, UserError } from '../../lib/cli/errors.js';
import { execStream } from '../../lib/process/exec.js';
import { howEnded, tail, type ToolDeps } from './pg-tools.js';
import { PsqlScriptGuard } from './psql-guard.js';
import { checkRefusal, RESTORE_CHECK_SQL, SHARED_AFTER_SQL, type SharedBefore } from './restore-check.js';
import type { Compression } from './files.js';

/** What the bytes are, under any compression: plain SQL, or a pg_dump custom or tar archive. */
export type ArchiveFormat = 'sql' | 'custom' | 'tar';

/** The outer compression from a file's first bytes (names can lie; magic numbers do not). */
export async function sniffCompression(file: string): Promise<Compression> {
  const fh = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** The format of (decompressed) content from its first bytes: PGDMP, or `ustar` at offset 257 (tar). */
export function archiveFormat(head: Buffer): ArchiveFormat {
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return 'sql';
}

/** Format and compression of a backup file (decompressing only its first bytes). */
export async function sniffBackup(deps: ToolDeps, file: string): Promise<{ format: ArchiveFormat; compression: Compression }> {
  const compression = await sniffCompression(file);
  const src = await openDecompressed(deps, file, compression);
  try {
    return { format: archiveFormat((await withHead(src.stream, 512)).head), compression };
  } finally {
    src.stream.destroy();
    src.child?.kill();
    await src.child?.catch(() => undefined);
  }
}

export interface LoadOptions {
  file: string;
  compression: Compression;
  /** libpq environment naming the target database (see `libpqEnv`). */
  env: Record<string, string>;
  /** The shared state taken just before (restore-check.ts `sharedStateBefore`), checked before COMMIT. */
  shared: SharedBefore;
  /** Called once psql is running and the first bytes are on their way (for --debug and tests). */
  onStreaming?: () => void;
  /**
   * Awaited once psql (and pg_restore) run, connected, before one byte of the file goes to them:
   * restore's checksum, computed meanwhile. A rejection stops them; nothing of the file ran.
   */
  gate?: Promise<void>;
}

/** Restores `file` into the database in `o.env.PGDATABASE`; throws with the tool's own error text. */
export async function loadBackup(deps: ToolDeps, o: LoadOptions): Promise<{ format: ArchiveFormat }> {
  const marker = `mcpctl-restore-committed-${randomBytes(8).toString('hex')}`;
  const src = await openDecompressed(deps, o.file, o.compression);
  const srcErr = tail(src.child?.stderr);
  const { head, stream: input } = await withHead(src.stream, 512).catch((e: unknown) => {
    src.child?.kill();
    throw new UserError(`cannot read ${o.file}: ${(e as Error).message}`, { hint: 'the file is damaged; nothing was restored', cause: e });
  });
  if (head.length === 0) throw new UserError(`${o.file} is empty`, { hint: 'nothing was restored; choose another backup (`mcpctl backup list`)' });
  const format = archiveFormat(head);
  const tool = { cwd: deps.cwd, signal: deps.signal, log: deps.log };
  const before = ['-v', `mcpctl_dbs=${o.shared.dbs}`, '-v', `mcpctl_shared=${o.shared.digest}`];
  const { child: psql } = await execStream('psql', ['-X', '-q', '-w', '-v', 'ON_ERROR_STOP=1', ...before, '-o', '/dev/null', '-f', '-'], { ...tool, env: o.env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  const psqlErr = tail(psql.stderr);
  const psqlOut = tail(psql.stdout, 4096);
  const restore =
    format === 'sql'
      ? undefined
      : (await execStream('pg_restore', ['--no-owner', '--no-acl', '-f', '-'], { ...tool, env: o.env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })).child;
  const restoreErr = tail(restore?.stderr);
  const kill = async () => {
    psql.kill('SIGKILL');
    restore?.kill('SIGKILL');
    src.child?.kill('SIGKILL');
    input.destroy();
    src.stream.destroy();
    await Promise.allSettled([psql, restore, src.child]);
  };
  try {
    await o.gate;
    const sink = guardedWriter(psql.stdin!);
    // On the first line, so that psql's line numbers in its errors are the file's.
    psql.stdin!.write('BEGIN;');
    const flows = [pipeline(restore ? restore.stdout! : input, guardStream(), sink)];
    if (restore) flows.push(pipeline(input, restore.stdin!));
    o.onStreaming?.();
    await Promise.all(flows);
    // COMMIT only when every producer said the input is whole.
    if (src.child) {
      const z = await src.child;
      if (z.exitCode !== 0 || z.signal) throw new UserError(`zstd -d ${howEnded(z)}: ${srcErr()}`, { hint: 'the file is damaged; nothing was restored' });
    }
    if (restore) {
      const p = await restore;
      if (p.exitCode !== 0 || p.signal) throw new UserError(`pg_restore ${howEnded(p)}: ${restoreErr()}`, { hint: 'the archive is damaged or not a pg_dump archive; nothing was restored' });
    }
  } catch (e) {
    await kill();
    if (deps.signal?.aborted) throw new InterruptedError('restore interrupted; its transaction was rolled back');
    if (e instanceof UserError) throw e;
    const text = psqlErr() || restoreErr();
    throw new UserError(`restore failed: ${text || (e as Error).message}`, { hint: 'nothing was restored (one transaction)', cause: e });
  }
  // The guard's end() proved psql sits between statements: the check, then COMMIT, are statements of their own.
  psql.stdin!.end(`${RESTORE_CHECK_SQL}${SHARED_AFTER_SQL}COMMIT;\n\\echo ${marker}\n`);
  const r = await psql;
  if (deps.signal?.aborted) throw new InterruptedError('restore interrupted; its transaction was rolled back');
  const refusal = checkRefusal(psqlErr());
  if (refusal) throw refusal;
  if (r.exitCode !== 0 || r.signal) throw new UserError(`psql ${howEnded(r)}:\n${psqlErr()}`, { hint: 'nothing was restored (one transaction)' });
  if (!psqlOut().includes(marker)) throw new UserError(`psql ended without confirming the commit:\n${psqlErr()}`, { hint: 'check the target database; run the restore again' });
  return { format };
}

/** The guard as a stream: passes on only checked lines; the end proves psql sits between statements. */
function guardStream(): Transform {
  const guard = new PsqlScriptGuard();
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      try {
        const out = guard.push(chunk);
        cb(null, out.length ? out : undefined);
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        const out = guard.end();
        cb(null, out.length ? out : undefined);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

/** The file's bytes, decompressed (zstd through the zstd program, gzip in-process). */
async function openDecompressed(deps: ToolDeps, file: string, compression: Compression) {
  if (compression === 'zstd') {
    const { child } = await execStream('zstd', ['-d', '-c', '-q', file], { cwd: deps.cwd, env: deps.env, signal: deps.signal, log: deps.log, stdout: 'pipe', stderr: 'pipe' });
    return { stream: child.stdout! as Readable, child };
  }
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  if (compression === 'none') return { stream: input as Readable, child: undefined };
  const { createGunzip } = await import('node:zlib');
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  input.on('error', (e) => gunzip.destroy(e));
  return { stream: input.pipe(gunzip) as Readable, child: undefined };
}

/** The first `n` bytes (or all, when shorter), and a stream that yields everything again. */
async function withHead(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const parts: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    parts.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(parts);
  async function* all() {
    if (head.length) yield head;
    while (!done) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, stream: Readable.from(all(), { objectMode: false, highWaterMark: 1 << 20 }) };
}

/** Writes into a child's stdin with backpressure, but never ends it (the caller does, on success). */
function guardedWriter(stdin: NodeJS.WritableStream): Writable {
  let failure: Error | undefined;
  stdin.on('error', (e: Error) => {
    failure = e;
  });
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      if (failure) return cb(failure);
      if (stdin.write(chunk)) return cb();
      const done = (e?: Error) => {
        stdin.off('drain', onDrain);
        stdin.off('error', onError);
        stdin.off('close', onClose);
        cb(e);
      };
      const onDrain = () => done();
      const onError = (e: Error) => done(e);
      const onClose = () => done(new Error('psql stopped reading its input'));
      stdin.on('drain', onDrain);
      stdin.on('error', onError);
      stdin.on('close', onClose);
    },
  });
}
