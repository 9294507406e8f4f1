/**
 * The backup folder's pre-flight: writable (proven by creating a file in it), and ignored by git
 * when it lies inside a work tree.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../lib/cli/errors.js';
import { ignoredAmong, workTreeRoot, type GitDeps } from '../../lib/git/porcelain.js';

/**
 * Dumps hold the project's data: a backup folder inside a git work tree that git does not
 * ignore is one `git add .` away from publishing it. Warn (never edit .gitignore unasked).
 */
export async function unignoredFolderWarning(deps: GitDeps, dir: string): Promise<string[]> {
  const root = await workTreeRoot(deps);
  if (!root || path.relative(root, dir).startsWith('..')) return [];
  const probe = path.join(dir, 'backup.sql.gz');
  if ((await ignoredAmong(deps, [probe])).length) return [];
  const rel = path.relative(root, dir) || '.';
  return [`the backup folder ${rel}/ is inside the git work tree and not ignored: add "${rel}/" to .gitignore so that dumps are never committed`];
}

/** Creates the folder when missing and proves it writable by creating a file in it. */
export async function ensureWritableDir(dir: string): Promise<void> {
  const probe = path.join(dir, `.mcpctl-probe-${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(dir, { recursive: true });
    const fh = await fs.open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await fh.close();
    await fs.rm(probe, { force: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`backup folder ${dir} is not writable: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '), {
      hint: 'choose another --dir, or fix the folder (and its parents) so that you can create files in it',
      cause: e,
    });
  }
}
