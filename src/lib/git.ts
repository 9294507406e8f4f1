/**
 * Git through its plumbing and porcelain formats (`-z`, `--porcelain`), never its prose,
 * always with LC_ALL=C. Every call goes through the one execa wrapper.
 */
import path from 'node:path';
import { run, type RunResult } from './exec.js';

export interface GitDeps {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
}

/** Runs git with a stable, non-interactive environment. */
export function git(deps: GitDeps, args: readonly string[], opts: { input?: string; reject?: boolean } = {}): Promise<RunResult> {
  return run('git', args, {
    cwd: deps.cwd,
    env: { ...deps.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
    input: opts.input,
    reject: opts.reject,
    log: deps.log,
    stripFinalNewline: false,
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
  const list = (r: RunResult, strip = '') =>
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
