/**
 * The streaming dump pipeline: pg_dump → compressor → temporary file, hashed on the way.
 */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InterruptedError, UserError } from '../../lib/cli/errors.js';
import { execStream } from '../../lib/process/exec.js';
import { redact } from '../../lib/cli/redact.js';
import type { Compression } from './files.js';
import { howEnded, tail, type ToolDeps } from './pg-tools.js';

/** What to run and where to write. */
export interface DumpToFileOptions {
  /** pg_dump's arguments (never a credential). */
  args: string[];
  /** Environment of pg_dump (see `libpqEnv`). */
  env: Record<string, string>;
  compression: Compression;
  /** gzip level for node:zlib (1 = fastest; see docs/backup.md for the measurement). */
  gzipLevel: number;
  /** gzip through node:zlib in this process, or through the system `gzip` (docs/backup.md). */
  gzipWith?: 'zlib' | 'gzip';
  /** zstd level for the system `zstd`. */
  zstdLevel: number;
  /** The temporary file to create (must not exist; created 0600). */
  tempFile: string;
  /** Called at most every `progressMs` with bytes read from pg_dump and written to the file. */
  /** `dumped` is undefined with an external compressor, which pg_dump writes into directly. */
  onProgress?: (p: { dumped?: number; written: number }) => void;
  progressMs?: number;
}

/** Size and SHA-256 of what was written. */
export interface DumpToFileResult {
  size: number;
  /** Uncompressed bytes from pg_dump (undefined with an external compressor: those bytes never pass through mcpctl). */
  dumped?: number;
  sha256: string;
}

/** Chunk size of node:zlib's gzip: larger chunks measured faster (docs/backup.md). */
export const GZIP_CHUNK = 256 * 1024;

type Child = Awaited<ReturnType<typeof execStream>>['child'];

/** What `startDump` needs: pg_dump's arguments and environment, and the compression. */
export type DumpPlan = Pick<DumpToFileOptions, 'args' | 'env' | 'compression' | 'gzipWith' | 'gzipLevel' | 'zstdLevel'>;

/** pg_dump running (writing into the external compressor, when there is one), its output not read yet. */
export interface StartedDump {
  dump: Child;
  compressor?: Child;
  program?: 'zstd' | 'gzip';
  dumpErr: () => string;
  compressorErr: () => string;
}

/**
 * Starts pg_dump, and first the external compressor it writes into. Nothing reads their output
 * yet: once the pipes are full they wait (backpressure), so a caller may start them while it
 * still checks what must hold before a file is written (backup's pre-flight), and stop them
 * with `stopDump` when a check fails.
 */
export async function startDump(deps: ToolDeps, o: DumpPlan): Promise<StartedDump> {
  const program = compressorProgram(o);
  // The child is a promise of its result: kept inside an object, so no await waits for its exit.
  const compressor = program ? (await startCompressor(deps, o, program)).child : undefined;
  const compressorErr = tail(compressor?.stderr);
  try {
    const { child: dump } = await execStream('pg_dump', o.args, { cwd: deps.cwd, env: o.env, signal: deps.signal, log: deps.log, stdout: compressor ? compressor.stdin! : 'pipe', stderr: 'pipe' });
    // pg_dump holds the write end now; ours must close so that the compressor sees the end when pg_dump exits.
    compressor?.stdin!.destroy();
    return { dump, compressor, program, dumpErr: tail(dump.stderr), compressorErr };
  } catch (e) {
    compressor?.kill();
    throw e;
  }
}

/** Stops a started dump whose output will not be written; waits until both children are gone. */
export async function stopDump(s: StartedDump): Promise<void> {
  s.dump.kill();
  s.compressor?.kill();
  await Promise.allSettled([s.dump, s.compressor]);
}

/**
 * Streams pg_dump's stdout through the compressor into `tempFile`, hashing the bytes
 * written. Backpressure all the way (memory stays flat). Resolves only when pg_dump
 * and the compressor both exited 0 and the file is flushed and fsynced; otherwise
 * deletes the temporary file and throws with pg_dump's own error text. The caller
 * renames the file. `started` (from `startDump`) is taken over: stopped on any failure.
 */
export async function dumpToFile(deps: ToolDeps, o: DumpToFileOptions, started?: StartedDump): Promise<DumpToFileResult> {
  const fh = await fs.open(o.tempFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600).catch(async (e: unknown) => {
    if (started) await stopDump(started);
    throw e;
  });
  const hash = createHash('sha256');
  let written = 0;
  let dumped = 0;
  let closed = false;
  const cleanup = async () => {
    if (!closed) await fh.close().catch(() => undefined);
    closed = true;
    await fs.rm(o.tempFile, { force: true });
  };
  let s = started;
  try {
    s ??= await startDump(deps, o);
    const { dump, compressor, program } = s;

    let lastProgress = 0;
    const progress = () => {
      const now = Date.now();
      if (o.onProgress && now - lastProgress >= (o.progressMs ?? 250)) {
        lastProgress = now;
        o.onProgress({ dumped: compressor ? undefined : dumped, written });
      }
    };
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        dumped += chunk.length;
        cb(null, chunk);
      },
    });
    const sink = fileSink(fh, (chunk) => {
      hash.update(chunk);
      written += chunk.length;
      progress();
    });

    const flows: Promise<void>[] = [];
    if (compressor) flows.push(pipeline(compressor.stdout!, sink));
    else if (o.compression === 'gzip') {
      const { createGzip } = await import('node:zlib');
      flows.push(pipeline(dump.stdout!, counter, createGzip({ level: o.gzipLevel, chunkSize: GZIP_CHUNK }), sink));
    } else {
      flows.push(pipeline(dump.stdout!, counter, sink));
    }
    // A failed write (a full disk) stops the children at once: nothing waits on a dead pipe.
    const streamed = Promise.all(flows).catch((e: unknown) => {
      dump.kill();
      compressor?.kill();
      throw e;
    });
    const [flow, dumpR, compressorR] = await Promise.allSettled([streamed, dump, compressor ?? Promise.resolve(undefined)]);

    if (deps.signal?.aborted) throw new InterruptedError('backup interrupted; the temporary file was removed');
    if (flow.status === 'rejected') {
      const e = flow.reason as NodeJS.ErrnoException;
      const why = e.code === 'ENOSPC' ? 'no space left on device' : e.message;
      throw new UserError(`writing ${o.tempFile} failed: ${why}`, { hint: e.code === 'ENOSPC' ? 'free some space or choose another --dir' : undefined, cause: e });
    }
    requireClean('pg_dump', dumpR, s.dumpErr, 'no backup was written; fix the error above and run again', true);
    if (compressor) requireClean(program!, compressorR, s.compressorErr, 'no backup was written', false);
    progress();
    await sink.flushed();
    await fh.sync();
    await fh.close();
    closed = true;
    return { size: written, dumped: compressor ? undefined : dumped, sha256: hash.digest('hex') };
  } catch (e) {
    s?.compressor?.kill();
    s?.dump.kill();
    await cleanup();
    if (e instanceof UserError) throw e;
    if (deps.signal?.aborted) throw new InterruptedError('backup interrupted; the temporary file was removed');
    throw new UserError(`backup failed: ${redact((e as Error).message)}`, { cause: e });
  }
}

/** An external compressor, when one is used: zstd always, gzip when asked to (docs/backup.md). */
function compressorProgram(o: DumpPlan): 'zstd' | 'gzip' | undefined {
  return o.compression === 'zstd' ? 'zstd' : o.compression === 'gzip' && o.gzipWith === 'gzip' ? 'gzip' : undefined;
}

/**
 * An external compressor starts first: pg_dump then writes straight into its stdin (one pipe,
 * no copy through Node), and mcpctl reads only the compressed bytes.
 */
function startCompressor(deps: ToolDeps, o: DumpPlan, program: 'zstd' | 'gzip') {
  const args = program === 'zstd' ? ['-q', '-c', `-${o.zstdLevel}`] : ['-c', `-${o.gzipLevel}`];
  return execStream(program, args, { cwd: deps.cwd, env: deps.env, signal: deps.signal, log: deps.log, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
}

/** Bytes written between two background flushes of the file (see `fileSink`). */
export const FLUSH_EVERY = 16 << 20;

/**
 * Writes every chunk to `fh` (all of it, in order), then reports it; backpressure through the
 * callback. Every FLUSH_EVERY bytes it starts an fdatasync in the background, so that the data
 * reaches the disk while pg_dump still runs and the final fsync (which the caller still makes)
 * has only the tail left to write. A failed flush fails the write after it, or `flushed()`.
 */
function fileSink(fh: fs.FileHandle, onWritten: (chunk: Buffer) => void): Writable & { flushed: () => Promise<void> } {
  let unflushed = 0;
  let flushing: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const flush = () => {
    unflushed = 0;
    flushing = flushing.then(() => fh.datasync()).catch((e: Error) => {
      failure ??= e;
    });
  };
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      if (failure) return cb(failure);
      writeAll(fh, chunk).then(() => {
        onWritten(chunk);
        unflushed += chunk.length;
        if (unflushed >= FLUSH_EVERY) flush();
        cb();
      }, cb);
    },
  });
  return Object.assign(sink, {
    flushed: async () => {
      await flushing;
      if (failure) throw failure;
    },
  });
}

/**
 * A child that did not exit 0 fails the backup with its own error text. The trap it guards: a
 * killed pg_dump leaves a well-formed compressed file; only its exit status tells.
 */
function requireClean(name: string, r: PromiseSettledResult<{ exitCode?: number; signal?: string } | undefined>, stderr: () => string, hint: string, multiline: boolean): void {
  const ended = r.status === 'fulfilled' ? r.value : undefined;
  if (ended && ended.exitCode === 0 && !ended.signal) return;
  const text = stderr();
  throw new UserError(`${name} ${ended ? howEnded(ended) : 'failed'}${text ? (multiline ? `:\n${text}` : `: ${text}`) : ''}`, { hint });
}

async function writeAll(fh: fs.FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}
