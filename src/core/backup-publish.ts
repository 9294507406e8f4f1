/**
 * Naming a finished backup without races: the `.sha256` is created first by a hard link
 * (which fails if the name exists), then the dump by another link, so concurrent runs
 * each get their own name (`-1`, `-2`, …) and never delete or replace a file another
 * run made. Also sweeps temporary files of runs that died (kill -9).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../lib/atomic-write.js';
import { checksumPath, tempFileName, tempFileOwner } from '../lib/backup-files.js';
import { UserError } from '../lib/errors.js';

/** A temporary file for a backup in `dir`, named after its writer (this process). */
export function tempPath(dir: string, finalName: string): string {
  return path.join(dir, tempFileName(finalName, process.pid, randomBytes(4).toString('hex')));
}

/** Gives the finished `tempFile` the first free name `nameFor(0)`, `nameFor(1)`, …; returns its path. */
export async function publish(tempFile: string, dir: string, nameFor: (seq: number) => string, sha256: string): Promise<string> {
  const sumTemp = tempPath(dir, 'checksum');
  try {
    for (let seq = 0; seq < 10_000; seq++) {
      const file = path.join(dir, nameFor(seq));
      await writeNew(sumTemp, `${sha256}  ${path.basename(file)}\n`);
      if (!(await claim(sumTemp, checksumPath(file)))) {
        await fs.rm(sumTemp, { force: true });
        continue;
      }
      if (!(await claim(tempFile, file))) {
        // Someone else's dump holds the name (an older version's run, a copy by hand): give our checksum back.
        if (await sameFile(sumTemp, checksumPath(file))) await fs.rm(checksumPath(file), { force: true });
        await fs.rm(sumTemp, { force: true });
        continue;
      }
      await fs.rm(sumTemp, { force: true });
      await fs.rm(tempFile, { force: true });
      await fsyncDir(dir);
      return file;
    }
    throw new Error('no free name');
  } catch (e) {
    await fs.rm(tempFile, { force: true });
    await fs.rm(sumTemp, { force: true });
    throw new UserError(`could not name the backup in ${dir}: ${(e as Error).message}`, { cause: e });
  }
}

/** Creates `to` as a new name for `from`; false when `to` exists. Never replaces anything. */
async function claim(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
  }
  // File systems without hard links: an exclusive copy (the name still cannot be taken twice).
  try {
    await fs.copyFile(from, to, constants.COPYFILE_EXCL);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function writeNew(file: string, text: string): Promise<void> {
  const fh = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fs.stat(a).catch(() => undefined), fs.stat(b).catch(() => undefined)]);
  return !!x && !!y && x.ino === y.ino && x.dev === y.dev;
}

/** True unless the process is certainly gone (EPERM: alive, someone else's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes temporary backup files in `dir` whose writer is gone and that are older than
 * this run; names of older versions carry no pid and go once they are a day old.
 */
export async function sweepTempFiles(dir: string, runStart: Date): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names) {
    const pid = tempFileOwner(name);
    if (pid === undefined || pid === process.pid) continue;
    const file = path.join(dir, name);
    const st = await fs.lstat(file).catch(() => undefined);
    if (!st?.isFile() || st.mtimeMs >= runStart.getTime()) continue;
    if (pid === 0 ? runStart.getTime() - st.mtimeMs < 86_400_000 : alive(pid)) continue;
    await fs.rm(file, { force: true });
    swept.push(name);
  }
  return swept;
}
