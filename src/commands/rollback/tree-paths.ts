/**
 * Paths in a commit's tree that git would never check out: a tree object can name anything
 * (`git mktree` takes `..`), but git's own checkout refuses such a path. The rollback must
 * neither stop half-way on one (after its stash) nor use one to write outside a folder.
 */

/** Whether git refuses `p` (a tree path): empty, `.` or `..` components, a `.git` component in any case, or absolute. */
export function unsafeTreePath(p: string): boolean {
  if (p.startsWith('/')) return true;
  return p.split('/').some((c) => c === '' || c === '.' || c === '..' || c.toLowerCase() === '.git');
}
