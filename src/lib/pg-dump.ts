/**
 * The PostgreSQL client tools (pg_dump, psql, pg_restore): finding and version-checking
 * them, their libpq environment, and the streaming dump pipeline
 * pg_dump → compressor → temporary file, hashed on the way.
 */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InterruptedError, UsageError, UserError } from './cli/errors.js';
import { run, start } from './process/exec.js';
import type { ConnTarget } from './pg/client.js';
import { redact } from './cli/redact.js';
import { parseVersion, type Version } from './pg/versions.js';
import type { Compression } from './backup-files.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where and how the client tools run. */
export interface ToolDeps {
  cwd: string;
  env: Env;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export type PgTool = 'pg_dump' | 'psql' | 'pg_restore';

const INSTALL_HINT = 'install the PostgreSQL client tools matching your server (apt install postgresql-client-<major>, brew install libpq) and put them on PATH';

/** The tool's version (`pg_dump --version`); exit 1 with an install hint when it is missing. */
export async function pgToolVersion(deps: ToolDeps, tool: PgTool): Promise<Version> {
  const r = await run(tool, ['--version'], { cwd: deps.cwd, env: deps.env, timeoutMs: 10_000, log: deps.log });
  const v = r.exitCode === 0 ? parseVersion(r.stdout) : undefined;
  if (!v) throw new UserError(r.notFound ? `${tool} not found on PATH` : `${tool} --version failed: ${(r.stderr || r.stdout).trim()}`, { hint: INSTALL_HINT });
  return v;
}

/** A pg_dump older than the server cannot dump it: exit 2 before anything starts, naming both. */
export function requireDumpNotOlder(dump: Version, serverMajor: number): void {
  if (dump.major < serverMajor) {
    throw new UsageError(`pg_dump ${dump.raw} is older than the server (PostgreSQL ${serverMajor}); it cannot dump it`, {
      hint: `install pg_dump ${serverMajor} or newer (e.g. apt install postgresql-client-${serverMajor}) and put it first on PATH`,
    });
  }
}

/** Whether a program answers `--version` (zstd, gzip). */
export async function hasProgram(deps: ToolDeps, file: string): Promise<boolean> {
  const r = await run(file, ['--version'], { cwd: deps.cwd, env: deps.env, timeoutMs: 10_000, log: deps.log });
  return r.exitCode === 0;
}

/**
 * The child's environment for libpq: the caller's, without any PG* variable that could
 * redirect it, plus the target. The password travels as PGPASSWORD in the child's
 * environment only (readable by the same user alone, never in argv); without one,
 * libpq reads PGPASSFILE or ~/.pgpass itself.
 */
export function libpqEnv(base: Env, t: ConnTarget): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && (!k.startsWith('PG') || k === 'PGPASSFILE')) env[k] = v;
  Object.assign(env, {
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGUSER: t.user,
    PGDATABASE: t.database,
    PGSSLMODE: t.sslmode,
    PGCONNECT_TIMEOUT: String(Math.max(1, Math.ceil((t.timeoutMs ?? 10_000) / 1000))),
    PGAPPNAME: 'mcpctl',
  });
  if (t.password !== undefined) env.PGPASSWORD = t.password;
  return env;
}

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

/** Keeps the last `max` characters of a stream (a child's stderr) without growing. */
export function tail(stream: NodeJS.ReadableStream | null | undefined, max = 16_384): () => string {
  let text = '';
  stream?.setEncoding?.('utf8');
  stream?.on('data', (c: string) => {
    text = (text + c).slice(-max);
  });
  return () => text.trim();
}

/** Describes how a child ended, for an error message. */
export function howEnded(r: { exitCode?: number; signal?: string; isCanceled?: boolean }): string {
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with status ${r.exitCode ?? 'unknown'}`;
}

/** Chunk size of node:zlib's gzip: larger chunks measured faster (docs/backup.md). */
export const GZIP_CHUNK = 256 * 1024;

/**
 * Streams pg_dump's stdout through the compressor into `tempFile`, hashing the bytes
 * written. Backpressure all the way (memory stays flat). Resolves only when pg_dump
 * and the compressor both exited 0 and the file is flushed and fsynced; otherwise
 * deletes the temporary file and throws with pg_dump's own error text. The caller
 * renames the file.
 */
export async function dumpToFile(deps: ToolDeps, o: DumpToFileOptions): Promise<DumpToFileResult> {
  const fh = await fs.open(o.tempFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  const hash = createHash('sha256');
  let written = 0;
  let dumped = 0;
  let closed = false;
  const cleanup = async () => {
    if (!closed) await fh.close().catch(() => undefined);
    closed = true;
    await fs.rm(o.tempFile, { force: true });
  };
  let compressor: Awaited<ReturnType<typeof start>>['child'] | undefined;
  try {
    // An external compressor starts first: pg_dump then writes straight into its stdin
    // (one pipe, no copy through Node), and mcpctl reads only the compressed bytes.
    const program = o.compression === 'zstd' ? 'zstd' : o.compression === 'gzip' && o.gzipWith === 'gzip' ? 'gzip' : undefined;
    const programArgs = program === 'zstd' ? ['-q', '-c', `-${o.zstdLevel}`] : ['-c', `-${o.gzipLevel}`];
    compressor = program
      ? (await start(program, programArgs, { cwd: deps.cwd, env: deps.env, signal: deps.signal, log: deps.log, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })).child
      : undefined;
    const compressorErr = tail(compressor?.stderr);
    const { child: dump } = await start('pg_dump', o.args, { cwd: deps.cwd, env: o.env, signal: deps.signal, log: deps.log, stdout: compressor ? compressor.stdin! : 'pipe', stderr: 'pipe' });
    // pg_dump holds the write end now; ours must close so that the compressor sees the end when pg_dump exits.
    compressor?.stdin!.destroy();
    const dumpErr = tail(dump.stderr);

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
    const sink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        writeAll(fh, chunk).then(() => {
          written += chunk.length;
          progress();
          cb();
        }, cb);
      },
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
    const d = dumpR.status === 'fulfilled' ? dumpR.value : undefined;
    // The trap: a killed pg_dump leaves a well-formed compressed file. Only its exit status tells.
    if (!d || d.exitCode !== 0 || d.signal) {
      const text = dumpErr();
      throw new UserError(`pg_dump ${d ? howEnded(d) : 'failed'}${text ? `:\n${text}` : ''}`, { hint: 'no backup was written; fix the error above and run again' });
    }
    const z = compressorR.status === 'fulfilled' ? compressorR.value : undefined;
    if (compressor && (!z || z.exitCode !== 0 || z.signal)) {
      throw new UserError(`${program} ${z ? howEnded(z) : 'failed'}${compressorErr() ? `: ${compressorErr()}` : ''}`, { hint: 'no backup was written' });
    }
    progress();
    await fh.sync();
    await fh.close();
    closed = true;
    return { size: written, dumped: compressor ? undefined : dumped, sha256: hash.digest('hex') };
  } catch (e) {
    compressor?.kill();
    await cleanup();
    if (e instanceof UserError) throw e;
    if (deps.signal?.aborted) throw new InterruptedError('backup interrupted; the temporary file was removed');
    throw new UserError(`backup failed: ${redact((e as Error).message)}`, { cause: e });
  }
}

async function writeAll(fh: fs.FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}
