import { randomBytes } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

export interface AtomicWriteOptions {
  /** File mode from the moment the temporary file exists (default 0600). */
  mode?: number;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The path a write to `file` must replace: `file` itself (also when it does not exist yet), or,
 * for a symbolic link, the regular file it points to — so the link is kept and its target is
 * what changes, as dotfile managers expect. Anything else (a device, FIFO, folder, socket, a
 * dangling or looping link) is refused with exit 1 before anything is changed: renaming over
 * it would replace `/dev/null` or leave the real file stale.
 */
export async function resolveWriteTarget(file: string): Promise<string> {
  let lst: Stats;
  try {
    lst = await fs.lstat(file);
  } catch (e) {
    // Absent (or a path through a non-folder): nothing to refuse here; the write reports it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return file;
    // A folder on the way that loops or that we may not enter: the user's to fix, not a bug.
    if (code === 'ELOOP') {
      throw new UserError(`refusing to write ${file}: a folder on its path is a symbolic link that loops; nothing was changed`, {
        hint: `fix the links in ${path.dirname(file)}`,
      });
    }
    if (code === 'EACCES') {
      throw new UserError(`cannot write ${file}: permission denied on a folder of its path; nothing was changed`, {
        hint: `check the permissions of ${path.dirname(file)} and the folders above it`,
      });
    }
    throw e;
  }
  let target = file;
  if (lst.isSymbolicLink()) {
    const to = await fs.readlink(file).catch(() => '?');
    try {
      target = await fs.realpath(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const loops = code === 'ELOOP';
      throw new UserError(`refusing to write ${file}: it is a symbolic link to ${to}, which ${loops ? 'loops' : 'does not exist'}; nothing was changed`, {
        hint: loops ? `point the link at a regular file, or remove it (rm ${file})` : `create the file the link points to, or remove the link (rm ${file})`,
      });
    }
    const st = await fs.stat(target);
    if (!st.isFile()) {
      throw new UserError(`refusing to write ${file}: it is a symbolic link to ${target}, which is ${kindOf(st)}; nothing was changed`, {
        hint: `point the link at a regular file, or remove it (rm ${file})`,
      });
    }
    return target;
  }
  if (!lst.isFile()) {
    throw new UserError(`refusing to write ${file}: it is ${kindOf(lst)}, not a regular file; nothing was changed`, {
      hint: `move it away, or point mcpctl at a regular file`,
    });
  }
  return target;
}

/**
 * Writes `data` to `file` atomically: a temporary file in the target's folder, created with
 * its final mode (O_EXCL), written, fsynced, renamed over the target, then the folder fsynced.
 * A symlink to a regular file is written through (the link stays); any other non-regular
 * target is refused (see resolveWriteTarget). Readers see the old content or the new, never a
 * mix; a crash leaves at most a temp file named `.<name>.mcpctl-<random>.tmp`, which is
 * removed on any error we can see.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const target = await resolveWriteTarget(file);
  const mode = opts.mode ?? 0o600;
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.mcpctl-${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    // The umask may have narrowed the mode at creation; never widened, so set it exactly.
    await fh.chmod(mode);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, target);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Writes only when the content (bytes) differs; returns whether it wrote. */
export async function writeIfChanged(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<boolean> {
  const target = await resolveWriteTarget(file);
  const current = await fs.readFile(target).catch(() => undefined);
  const next = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (current !== undefined && Buffer.compare(current, next) === 0) {
    if (opts.mode !== undefined) {
      const st = await fs.stat(target);
      if ((st.mode & 0o777) !== opts.mode) {
        await fs.chmod(target, opts.mode);
        return true;
      }
    }
    return false;
  }
  await writeFileAtomic(target, data, opts);
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
