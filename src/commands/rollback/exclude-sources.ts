/**
 * Git's own exclude files — `info/exclude` and `core.excludesFile` — when they live in the work
 * tree. The pre-flight's view of what is ignored (git status, the ignore simulation) reads them as
 * they are now; if the stash or the reset changed one (an untracked `.localignore` that
 * `.git/info/exclude` links to, a `.myignore` named by core.excludesFile), files ignored now would
 * turn untracked half-way: the stash would stop with "changes remain", and a second run would
 * stash them — secrets included. Such a file is refused before any change. Simulating it
 * instead would mean reading each exclude file as it is after each step, through links whose
 * targets the steps move: refusing, with a one-line fix, keeps "ignored" a fixed fact.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import type { StatusEntry } from './git-worktree.js';
import type { PreflightFailure } from './run.js';
import { pathList, shq } from './stash.js';

/** core.excludesFile as git reads it (the last value, `~/` expanded, or the XDG default), and the config file that set it. */
export interface ExcludesSetting {
  file: string | undefined;
  /** The configuration file the value came from (`include.path` can name one in the work tree); undefined for the default. */
  origin?: string;
}

/** Reads core.excludesFile with its origin in one `git config --show-origin`; an Error when git cannot read it. */
export async function readExcludesFile(g: GitDeps): Promise<ExcludesSetting | Error> {
  const r = await git(g, ['config', '-z', '--show-origin', '--path', '--get-all', 'core.excludesFile']);
  if (r.exitCode === 1) {
    // Unset: git reads $XDG_CONFIG_HOME/git/ignore, or $HOME/.config/git/ignore.
    const xdg = g.env.XDG_CONFIG_HOME;
    if (xdg) return { file: path.join(xdg, 'git', 'ignore') };
    return { file: g.env.HOME ? path.join(g.env.HOME, '.config', 'git', 'ignore') : undefined };
  }
  if (r.exitCode !== 0) return new Error(`git config core.excludesFile failed: ${(r.stderr || r.stdout).trim()}`);
  // "<origin>\0<value>\0" per value; the origin is "file:<path>" (relative to the top folder), or "command line:" …
  const fields = r.stdout.split('\0');
  const last = Math.floor((fields.length - 1) / 2) - 1;
  if (last < 0) return { file: undefined };
  const origin = fields[2 * last]!;
  return { file: fields[2 * last + 1], origin: origin.startsWith('file:') ? origin.slice('file:'.length) : undefined };
}

/**
 * Where `file` leads: every symbolic link on the way (the links themselves can be in the work
 * tree) and the final path, folders' links resolved. A missing target still has a path: the reset
 * may create it.
 */
async function chain(file: string): Promise<string[]> {
  const seen: string[] = [];
  let cur = file;
  for (let hops = 0; hops < 40; hops++) {
    const st = await fs.lstat(cur).catch(() => undefined);
    if (!st?.isSymbolicLink()) break;
    seen.push(cur);
    cur = path.resolve(path.dirname(cur), await fs.readlink(cur));
  }
  seen.push(cur);
  // Each as written too: a folder link on the way (`lnk/x`, lnk → elsewhere) is itself a work-tree path.
  return [...seen, ...(await Promise.all(seen.map(async (p) => path.join(await realDir(path.dirname(p)), path.basename(p)))))];
}

/** A folder's real path; the nearest existing ancestor's, when it does not exist. */
async function realDir(dir: string): Promise<string> {
  const real = await fs.realpath(dir).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(dir);
  return parent === dir ? dir : path.join(await realDir(parent), path.basename(dir));
}

/** Which of git's exclude settings leads to a file (`git config`: the configuration file that sets core.excludesFile). */
type Kind = 'info/exclude' | 'core.excludesFile' | 'git config';

export interface ExcludeInput {
  root: string;
  commonDir: string;
  excludesFile: ExcludesSetting | Error;
  changes: StatusEntry[];
  ignored: string[];
  /** Commits whose version of a tracked exclude file the steps leave: HEAD (may be unborn), the branch tip, the tag. */
  commits: (string | undefined)[];
}

/** The pre-flight failures for exclude files in the work tree that the stash or the reset would change. */
export async function excludeFailures(g: GitDeps, o: ExcludeInput): Promise<PreflightFailure[]> {
  if (o.excludesFile instanceof Error) return [{ check: 'exclude-file', message: o.excludesFile.message, hint: 'fix core.excludesFile in your git configuration' }];
  const roots = [...new Set([o.root, await fs.realpath(o.root).catch(() => o.root)])];
  const { file, origin } = o.excludesFile;
  const sources: [Kind, string][] = [
    ['info/exclude', path.join(o.commonDir, 'info', 'exclude')],
    ...(file ? [['core.excludesFile', path.resolve(o.root, file)] as [Kind, string]] : []),
    // A configuration file in the work tree (`include.path = ../.gitconfig-local`) that the stash takes away unsets core.excludesFile.
    ...(origin ? [['git config', path.resolve(o.root, origin)] as [Kind, string]] : []),
  ];
  const inside = new Map<string, Kind>();
  for (const [kind, file] of sources) {
    for (const p of await chain(file)) {
      for (const root of roots) {
        const rel = path.relative(root, p).split(path.sep).join('/');
        // The git dir's own files are never touched by a stash or a reset.
        if (rel && rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel) && rel !== '.git' && !rel.startsWith('.git/')) inside.set(rel, kind);
      }
    }
  }
  if (!inside.size) return [];
  const changed = new Set(o.changes.flatMap((c) => [c.path, ...(c.from === undefined ? [] : [c.from])]));
  const ignored = (p: string) => o.ignored.some((i) => i === p || (i.endsWith('/') && p.startsWith(i)));
  const atRisk: string[] = [];
  const kinds = new Set<Kind>();
  for (const [rel, kind] of inside) {
    // The file, or a folder (or folder link) on its way, that the stash would take.
    const taken = rel.split('/').some((_, i, parts) => changed.has(parts.slice(0, i + 1).join('/')));
    if (taken || /[\n\0]/.test(rel) || (!ignored(rel) && (await differsAt(g, o.root, o.commits, rel)))) {
      atRisk.push(rel);
      kinds.add(kind);
    }
  }
  if (!atRisk.length) return [];
  const uncommitted = atRisk.filter((p) => changed.has(p));
  const fixes = [
    ...(kinds.has('info/exclude') ? ['make info/exclude a plain file: f=$(git rev-parse --git-path info/exclude) && cp --remove-destination "$(readlink -f "$f")" "$f"'] : []),
    ...(kinds.has('core.excludesFile') ? ['move the core.excludesFile out of the work tree and point git at it: git config core.excludesFile <new path>'] : []),
    ...(kinds.has('git config') ? ['move the configuration file that sets core.excludesFile out of the work tree (or set it in .git/config: git config core.excludesFile <path>)'] : []),
  ];
  return [
    {
      check: 'exclude-file',
      message: `git reads ignore rules (${[...kinds].join(', ')}) from ${pathList(atRisk.sort())} in the work tree, which the stash or the reset would change: files ignored now would be stashed or left behind`,
      hint: fixes.join('; ') + (uncommitted.length ? ` (or commit ${uncommitted.map(shq).join(' ')})` : ''),
    },
  ];
}

/** Whether `rel` is not the same blob (or absent alike) in all of `commits`. */
async function differsAt(g: GitDeps, root: string, commits: (string | undefined)[], rel: string): Promise<boolean> {
  const refs = commits.filter((c): c is string => !!c).map((c) => `${c}:${rel}`);
  const r = await git({ ...g, cwd: root }, ['cat-file', '--batch-check=%(objectname)'], { input: refs.join('\n') + '\n' });
  // "<oid>" or "<name> missing": one line per commit.
  const answers = r.stdout.split('\n').filter(Boolean).map((l) => (l.endsWith(' missing') ? 'missing' : l));
  return r.exitCode !== 0 || new Set(answers).size > 1;
}
