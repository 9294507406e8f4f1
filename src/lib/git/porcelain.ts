/**
 * Git through its plumbing and porcelain formats (`-z`, `--porcelain`), never its prose,
 * always with LC_ALL=C. Every call goes through the one execa wrapper.
 */
import path from 'node:path';
import { execCapture, type ExecResult } from '../process/exec.js';
import { bytesHoldSecret, secretForms, type SecretForms } from '../files/secret-search.js';

export interface GitDeps {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
}

/** Runs git with a stable, non-interactive environment. */
export function git(deps: GitDeps, args: readonly string[], opts: { input?: string; reject?: boolean; encoding?: 'utf8' | 'latin1' } = {}): Promise<ExecResult> {
  return execCapture('git', args, {
    cwd: deps.cwd,
    env: { ...deps.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
    input: opts.input,
    reject: opts.reject,
    log: deps.log,
    stripFinalNewline: false,
    encoding: opts.encoding,
  });
}

/** The work tree's top folder, or undefined outside a work tree (or when git is missing). */
export async function workTreeRoot(deps: GitDeps): Promise<string | undefined> {
  const r = await git(deps, ['rev-parse', '--is-inside-work-tree', '--show-toplevel']);
  if (r.exitCode !== 0) return undefined;
  const [inside, top] = r.stdout.split('\n');
  return inside === 'true' && top ? top : undefined;
}

/** Which of `paths` git tracks (in the index). */
export async function trackedAmong(deps: GitDeps, paths: readonly string[]): Promise<string[]> {
  if (!paths.length) return [];
  const r = await git(deps, ['ls-files', '-z', '--cached', '--', ...paths]);
  return r.stdout.split('\0').filter(Boolean);
}

/** Which of `paths` are ignored by .gitignore rules (whether or not they exist). */
export async function ignoredAmong(deps: GitDeps, paths: readonly string[]): Promise<string[]> {
  if (!paths.length) return [];
  const r = await git(deps, ['check-ignore', '-z', '--no-index', '--stdin'], { input: paths.join('\0') + '\0' });
  return r.stdout.split('\0').filter(Boolean);
}

/**
 * Files that contain `needle` (fixed string): tracked files as they are in the work tree,
 * and files of HEAD's tree. The needle is passed on stdin, never in argv.
 */
export async function filesContaining(deps: GitDeps, needle: string): Promise<{ worktree: string[]; head: string[] }> {
  // `-f -` reads the pattern from stdin (not /dev/stdin, which a socket pipe cannot reopen).
  const base = ['grep', '-z', '-l', '-I', '-F', '--no-color', '-f', '-'];
  const [wt, head] = await Promise.all([
    git(deps, [...base, '--'], { input: needle + '\n' }),
    git(deps, [...base, 'HEAD', '--'], { input: needle + '\n' }),
  ]);
  const list = (r: ExecResult, strip = '') =>
    r.exitCode === 0
      ? r.stdout
          .split('\0')
          .filter(Boolean)
          .map((f) => (strip && f.startsWith(strip) ? f.slice(strip.length) : f))
      : [];
  return { worktree: list(wt), head: list(head, 'HEAD:') };
}

/** `git rev-parse --git-path <name>` resolved to an absolute path (worktree-aware). */
export async function gitPath(deps: GitDeps, name: string): Promise<string | undefined> {
  const r = await git(deps, ['rev-parse', '--git-path', name]);
  if (r.exitCode !== 0) return undefined;
  return path.resolve(deps.cwd, r.stdout.replace(/\n$/, ''));
}

/** Blob contents read per `git cat-file --batch` call: bounds memory whatever the history's size. */
const BATCH_BYTES = 32 * 1024 * 1024;

/** A blob in the history that holds the needle: a path it had, and the commits that added or removed it. */
export interface HistoryHit {
  path: string;
  commits: string[];
}

/**
 * Blobs reachable from any ref (every branch, tag and the stash: what a push or a clone
 * carries) that contain `needle`, with a path each had and the commits that added or removed
 * it. Contents are read through `git cat-file --batch` in bounded batches and searched here;
 * the needle never reaches git (no `log -S<needle>` in argv).
 */
export async function historyContaining(deps: GitDeps, needle: string): Promise<HistoryHit[]> {
  const objects = await git(deps, ['rev-list', '--all', '--objects']);
  if (objects.exitCode !== 0) return [];
  const pathOf = new Map<string, string>();
  for (const line of objects.stdout.split('\n')) {
    const sp = line.indexOf(' ');
    // Commits and the root trees have no path; every blob has one.
    if (sp > 0) pathOf.set(line.slice(0, sp), line.slice(sp + 1));
  }
  if (!pathOf.size) return [];
  const check = await git(deps, ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], { input: [...pathOf.keys()].join('\n') + '\n' });
  const blobs: { oid: string; size: number }[] = [];
  for (const line of check.stdout.split('\n')) {
    const [oid, type, size] = line.split(' ');
    if (type === 'blob' && oid) blobs.push({ oid, size: Number(size) });
  }
  // The one secret search (plain, percent-encoded, JSON-escaped, base64), byte-exact on the blob.
  const found = await blobsHoldingSecret(deps, blobs, secretForms([needle]));
  return Promise.all(
    found.map(async (oid) => {
      const log = await git(deps, ['log', '--all', '--format=%h', `--find-object=${oid}`]);
      return { path: pathOf.get(oid)!, commits: log.stdout.split('\n').filter(Boolean) };
    }),
  );
}

/**
 * Of `blobs`, the object ids whose content holds any form of the secrets, read through
 * `git cat-file --batch` in batches of at most BATCH_BYTES (one larger blob goes alone).
 */
export async function blobsHoldingSecret(deps: GitDeps, blobs: readonly { oid: string; size: number }[], forms: SecretForms): Promise<string[]> {
  const shortest = Math.min(...forms.raw.map((b) => b.length));
  const found: string[] = [];
  for (let i = 0; i < blobs.length; ) {
    const batch: string[] = [];
    for (let bytes = 0; i < blobs.length && (batch.length === 0 || bytes + blobs[i]!.size <= BATCH_BYTES); i++) {
      if (blobs[i]!.size >= shortest) batch.push(blobs[i]!.oid);
      bytes += blobs[i]!.size;
    }
    if (!batch.length) continue;
    const r = await git(deps, ['cat-file', '--batch'], { input: batch.join('\n') + '\n', encoding: 'latin1' });
    // Each object: "<oid> blob <size>\n<size bytes>\n".
    for (let at = 0; at < r.stdout.length; ) {
      const nl = r.stdout.indexOf('\n', at);
      if (nl < 0) break;
      const [oid, , size] = r.stdout.slice(at, nl).split(' ');
      const end = nl + 1 + Number(size);
      if (!Number.isFinite(end)) break;
      // latin1 maps each character back to its byte.
      if (bytesHoldSecret(Buffer.from(r.stdout.slice(nl + 1, end), 'latin1'), forms)) found.push(oid!);
      at = end + 1;
    }
  }
  return found;
}
