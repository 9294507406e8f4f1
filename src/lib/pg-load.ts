/**
 * Loads a backup into a database: plain SQL (optionally gzip/zstd) streamed into
 * `psql --single-transaction -v ON_ERROR_STOP=1`, custom format through
 * `pg_restore --single-transaction`. Either the whole backup lands or nothing does.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InterruptedError, UserError } from './errors.js';
import { run, start } from './exec.js';
import { howEnded, tail, type ToolDeps } from './pg-dump.js';
import type { Compression, DumpFormat } from './backup-files.js';

/** What a file's first bytes say it is (names can lie; magic numbers do not). */
export async function sniffBackup(file: string): Promise<{ format: DumpFormat; compression: Compression }> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(5);
    const { bytesRead } = await fh.read(buf, 0, 5, 0);
    const b = buf.subarray(0, bytesRead);
    if (b[0] === 0x1f && b[1] === 0x8b) return { format: 'sql', compression: 'gzip' };
    if (b.readUInt32LE?.(0) === 0xfd2fb528 && bytesRead >= 4) return { format: 'sql', compression: 'zstd' };
    if (b.toString('latin1') === 'PGDMP') return { format: 'custom', compression: 'none' };
    return { format: 'sql', compression: 'none' };
  } finally {
    await fh.close();
  }
}

export interface LoadOptions {
  file: string;
  format: DumpFormat;
  compression: Compression;
  /** libpq environment naming the target database (see `libpqEnv`). */
  env: Record<string, string>;
}

/** Restores `file` into the database in `o.env.PGDATABASE`; throws with the tool's own error text. */
export async function loadBackup(deps: ToolDeps, o: LoadOptions): Promise<void> {
  if (o.format === 'custom') {
    const r = await run('pg_restore', ['-w', '--single-transaction', '--exit-on-error', '--no-owner', '--no-acl', '-d', o.env.PGDATABASE!, o.file], {
      cwd: deps.cwd,
      env: o.env,
      signal: deps.signal,
      log: deps.log,
    });
    if (deps.signal?.aborted) throw new InterruptedError('restore interrupted; its transaction was rolled back');
    if (r.exitCode !== 0) throw new UserError(`pg_restore ${howEnded({ exitCode: r.exitCode, signal: r.signal })}:\n${r.stderr.trim()}`, { hint: 'nothing was restored (single transaction)' });
    return;
  }
  const { child: psql } = await start('psql', ['-X', '-q', '-w', '--single-transaction', '-v', 'ON_ERROR_STOP=1', '-f', '-'], {
    cwd: deps.cwd,
    env: o.env,
    signal: deps.signal,
    log: deps.log,
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const psqlErr = tail(psql.stderr);
  const zstd =
    o.compression === 'zstd'
      ? (await start('zstd', ['-d', '-c', '-q', o.file], { cwd: deps.cwd, env: deps.env, signal: deps.signal, log: deps.log, stdout: 'pipe', stderr: 'pipe' })).child
      : undefined;
  const zstdErr = tail(zstd?.stderr);
  try {
    const sink = guardedWriter(psql.stdin!);
    if (zstd) await pipeline(zstd.stdout!, sink);
    else {
      const input = createReadStream(o.file, { highWaterMark: 1 << 20 });
      if (o.compression === 'gzip') await pipeline(input, (await import('node:zlib')).createGunzip(), sink);
      else await pipeline(input, sink);
    }
    if (zstd) {
      const z = await zstd;
      if (z.exitCode !== 0 || z.signal) throw new UserError(`zstd -d ${howEnded(z)}: ${zstdErr()}`, { hint: 'the file is damaged; nothing was restored' });
    }
  } catch (e) {
    psql.kill('SIGKILL');
    zstd?.kill();
    await Promise.allSettled([psql, zstd]);
    if (deps.signal?.aborted) throw new InterruptedError('restore interrupted; its transaction was rolled back');
    if (e instanceof UserError) throw e;
    const text = psqlErr();
    throw new UserError(`restore failed: ${text || (e as Error).message}`, { hint: 'nothing was restored (single transaction)', cause: e });
  }
  psql.stdin!.end();
  const r = await psql;
  if (deps.signal?.aborted) throw new InterruptedError('restore interrupted; its transaction was rolled back');
  if (r.exitCode !== 0 || r.signal) throw new UserError(`psql ${howEnded(r)}:\n${psqlErr()}`, { hint: 'nothing was restored (single transaction)' });
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
