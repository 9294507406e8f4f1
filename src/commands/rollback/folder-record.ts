/**
 * Empty untracked folders survive a kill: `git stash -u` deletes them and git cannot store a
 * folder, so before the stash the rollback writes their names into the git dir, and removes
 * the record once they are recreated. A later pre-flight finds the records of a rollback killed
 * in between, lists the folders still missing, and the rollback recreates them after its reset.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-write.js';
import { unsafeTreePath } from './tree-paths.js';

const PREFIX = 'mcpctl-rollback-';
const SUFFIX = '.empty-folders';

/** Folders an earlier rollback deleted and did not recreate (its record names them). */
export interface LostFolders {
  /** The record's file, in the work tree's git dir. */
  record: string;
  /** Folders (relative, ending in `/`) missing from the work tree now. */
  folders: string[];
}

/** The record's path for the rollback that keeps the old tip as `saveBranch` (`mcpctl/rollback-<stamp>[-n]`, unique). */
export function recordPath(gitDir: string, saveBranch: string): string {
  return path.join(gitDir, `${saveBranch.replaceAll('/', '-')}${SUFFIX}`);
}

/** Writes the names, NUL-separated (a folder name may hold a newline), before the stash deletes the folders. */
export async function writeFolderRecord(file: string, folders: string[]): Promise<void> {
  await writeFileAtomic(file, folders.map((f) => `${f}\0`).join(''), { mode: 0o644 });
}

/** Removes records; a record already gone is fine (a concurrent re-run recreated its folders too). */
export async function removeRecords(files: string[]): Promise<void> {
  // Best effort: a record that is no file (someone else's folder of that name) is left as it is.
  await Promise.all(files.map((f) => fs.rm(f, { force: true }).catch(() => undefined)));
}

/**
 * Records of earlier rollbacks, each with its folders that are missing now; records whose folders
 * all exist come back with none, and so do stale ones: a record is written right before its
 * stash, so one whose stash (`mcpctl rollback <stamp>`, among `stashStamps`) does not exist was
 * left by a run stopped before it — its folders were never deleted by it.
 */
export async function readFolderRecords(gitDir: string, root: string, stashStamps: ReadonlySet<string>): Promise<LostFolders[]> {
  const names = (await fs.readdir(gitDir).catch(() => [] as string[])).filter((n) => n.startsWith(PREFIX) && n.endsWith(SUFFIX)).sort();
  return Promise.all(
    names.map(async (name) => {
      const record = path.join(gitDir, name);
      const stamp = /^mcpctl-rollback-(\d{8}-\d{6})(?:-\d+)?\.empty-folders$/.exec(name)?.[1];
      // Only a regular file is read (a FIFO there would block the pre-flight).
      const isFile = (await fs.lstat(record).catch(() => undefined))?.isFile() === true;
      if (!isFile || !stamp || !stashStamps.has(stamp)) return { record, folders: [] };
      const text = await fs.readFile(record, 'utf8').catch(() => '');
      // A record is a file anyone could have written: only names a rollback could have written
      // (relative, no `..` or `.git`), and only where no symbolic link or file stands in the way.
      const listed = text.split('\0').filter((f) => f.endsWith('/') && !unsafeTreePath(f.slice(0, -1)));
      const states = await Promise.all(listed.map((f) => folderState(root, f)));
      return { record, folders: listed.filter((_, i) => states[i] === 'missing') };
    }),
  );
}

type FolderState = 'present' | 'missing' | 'blocked';

/** Whether `rel` (inside `root`) is a folder, could be created as one, or is blocked: some part of it is a symbolic link or not a folder. */
async function folderState(root: string, rel: string): Promise<FolderState> {
  let at = root;
  for (const part of rel.split('/').filter(Boolean)) {
    at = path.join(at, part);
    const st = await fs.lstat(at).catch(() => undefined);
    if (!st) return 'missing';
    if (!st.isDirectory()) return 'blocked';
  }
  return 'present';
}

/**
 * Creates the folders again after the reset, one level at a time and never through a symbolic
 * link (a tag may track `lnk` → `/elsewhere`; `mkdir -p lnk/x` would create outside the work
 * tree). Where a file or a link of the tag holds a name, that folder is not recreated.
 */
export async function recreateFolders(root: string, folders: string[]): Promise<string[]> {
  const made: string[] = [];
  for (const f of folders) {
    if (unsafeTreePath(f.replace(/\/$/, ''))) continue;
    let at = root;
    let ok = true;
    for (const part of f.split('/').filter(Boolean)) {
      at = path.join(at, part);
      const st = await fs.lstat(at).catch(() => undefined);
      if (st?.isDirectory()) continue;
      // Made now, or by someone else meanwhile — then only if what stands there is a real folder.
      if (!st && (await fs.mkdir(at).then(() => true, async () => (await fs.lstat(at).catch(() => undefined))?.isDirectory() === true))) continue;
      ok = false;
      break;
    }
    if (ok) made.push(f);
  }
  return made;
}
