/**
 * Empty untracked folders survive a kill: `git stash -u` deletes them and git cannot store a
 * folder, so before the stash the rollback writes their names into the git dir, and removes
 * the record once they are recreated. A later pre-flight finds the records of a rollback killed
 * in between, lists the folders still missing, and the rollback recreates them after its reset.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-write.js';

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
  await Promise.all(files.map((f) => fs.rm(f, { force: true })));
}

/** Records of earlier rollbacks, each with its folders that are missing now; records whose folders all exist come back with none. */
export async function readFolderRecords(gitDir: string, root: string): Promise<LostFolders[]> {
  const names = (await fs.readdir(gitDir).catch(() => [] as string[])).filter((n) => n.startsWith(PREFIX) && n.endsWith(SUFFIX)).sort();
  return Promise.all(
    names.map(async (name) => {
      const record = path.join(gitDir, name);
      const text = await fs.readFile(record, 'utf8').catch(() => '');
      // Only names a rollback could have written: relative, inside the work tree, no `..`.
      const listed = text.split('\0').filter((f) => f && f.endsWith('/') && !path.isAbsolute(f) && !f.split('/').includes('..'));
      const missing = await Promise.all(listed.map(async (f) => ((await fs.stat(path.join(root, f)).catch(() => undefined)) ? undefined : f)));
      return { record, folders: missing.filter((f): f is string => f !== undefined) };
    }),
  );
}
