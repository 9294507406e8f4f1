import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode from the moment the temporary file exists (default 0600). */
  mode?: number;
}

/**
 * Writes `data` to `file` atomically: a temporary file in the same folder, created with
 * its final mode (O_EXCL), written, fsynced, renamed over the target, then the folder fsynced.
 * Readers see the old content or the new, never a mix; a crash leaves at most a temp file
 * named `.<name>.mcpctl-<random>.tmp`, which is removed on any error we can see.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const mode = opts.mode ?? 0o600;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.mcpctl-${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    // The umask may have narrowed the mode at creation; never widened, so set it exactly.
    await fh.chmod(mode);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Writes only when the content differs; returns whether it wrote. */
export async function writeIfChanged(file: string, data: string, opts: AtomicWriteOptions = {}): Promise<boolean> {
  const current = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (current === data) {
    if (opts.mode !== undefined) {
      const st = await fs.stat(file);
      if ((st.mode & 0o777) !== opts.mode) {
        await fs.chmod(file, opts.mode);
        return true;
      }
    }
    return false;
  }
  await writeFileAtomic(file, data, opts);
  return true;
}

/** Fsyncs a folder so that a rename in it survives a crash; ignored where the file system refuses. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}
