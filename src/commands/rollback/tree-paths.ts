/**
 * Paths in a commit's tree that git would never check out: a tree object can name anything
 * (`git mktree` takes `..`), but git's own checkout refuses such a path. The rollback must
 * neither stop half-way on one (after its stash) nor use one to write outside a folder.
 * These are git's own rules (verify_path with core.protectNTFS, on by default, and
 * core.protectHFS, applied always: refusing a `.git` spelled with invisible characters costs
 * nothing), plus what git takes but no file system can write. Checked against `git read-tree`.
 */

/** The file systems' limit on one name (NAME_MAX): a longer component fails at the checkout. */
const NAME_MAX = 255;

/**
 * core.protectNTFS (on by default everywhere): `.git` or its short name `git~1`, in any case,
 * followed only by dots and spaces (NTFS drops them) or by an alternate data stream (`:…`).
 */
const NTFS_DOTGIT = /^(?:\.git|git~1)[. ]*(?::.*)?$/i;
/** core.protectHFS: HFS+ ignores these code points in names, so `.g\u200cit` is `.git` there. */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** The same for a `.gitmodules` that is a symbolic link, with its short names `gitmod~1..4` and `gi7eba~N`. */
const NTFS_DOTGITMODULES = /^(?:\.gitmodules|gitmod~[1-4]|(?=.{8}(?:[. ]|:|$))(?:g(?:i(?:7(?:e(?:b(?:a)?)?)?)?)?)?~[1-9][0-9]*)[. ]*(?::.*)?$/i;

/**
 * Whether git refuses `p` (a tree path, `mode` its tree mode when known): empty, `.` or `..`
 * components, a `.git` component in any case or NTFS spelling (components also split at `\`,
 * as core.protectNTFS does), a symbolic link named `.gitmodules` in any spelling, a component
 * over 255 bytes, or an absolute path.
 */
export function unsafeTreePath(p: string, mode?: string): boolean {
  if (p.startsWith('/')) return true;
  const parts = p.split('/');
  if (parts.some((c) => c === '' || c === '.' || c === '..' || Buffer.byteLength(c) > NAME_MAX)) return true;
  const ntfs = p.split(/[/\\]/);
  if (ntfs.some((c) => NTFS_DOTGIT.test(c))) return true;
  if (parts.some((c) => /^\.git$/i.test(c.replace(HFS_IGNORED, '')))) return true;
  if (mode !== '120000') return false;
  return NTFS_DOTGITMODULES.test(ntfs.at(-1)!) || /^\.gitmodules$/i.test(parts.at(-1)!.replace(HFS_IGNORED, ''));
}
