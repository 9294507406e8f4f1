/**
 * No secret enters git's object database through the rollback's stash: before any change, the
 * content of every file the stash would copy (untracked files not ignored, tracked files changed
 * in the work tree) is searched for the project's known secrets. Env files are refused by name
 * (stash.ts); this finds the password anywhere else — a `notes.txt`, a `debug.log`, a config
 * file edited to hold a `DATABASE_URL`. Which secrets the project has: project-secrets.ts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bytesHoldSecret, fileHoldsSecret, noSecrets, type SecretForms } from '../../lib/files/secret-search.js';
import { blobsHoldingSecret, git, type GitDeps } from '../../lib/git/porcelain.js';
import type { StatusEntry } from './git-worktree.js';
import type { SecretRegistry } from '../../lib/cli/redact.js';
import type { PreflightFailure } from './run.js';
import { isEnvFile, pathList, shq } from './stash.js';

/** What the secret search needs of the run's context. */
export interface SecretsCtx {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** For `~/.pgpass` (PGPASSFILE in `env` wins); without it, only the configuration is searched for. */
  home?: string;
  /** The run's registry: every secret found here is redacted from output too. */
  secrets?: SecretRegistry;
}

/**
 * Whether the project can know a secret at all: whether a source that project-secrets.ts reads
 * exists — a password or URL key in the environment, its .env or .env.local, the password file
 * (PGPASSFILE counts as one). When none does, its search finds nothing, and its modules (the
 * configuration's reader and validators) are not loaded.
 */
export async function secretSourcesExist(ctx: SecretsCtx): Promise<boolean> {
  const { env } = ctx;
  if (env.POSTGRES_PASSWORD || env.SETUP_POSTGRES_PASSWORD || env.PGPASSFILE) return true;
  if (Object.entries(env).some(([k, v]) => v && k.endsWith('DATABASE_URL'))) return true;
  const files = [path.join(ctx.cwd, '.env'), path.join(ctx.cwd, '.env.local'), ...(ctx.home === undefined ? [] : [path.join(ctx.home, '.pgpass')])];
  // Anything at those paths counts (a link, a folder, one that cannot be read): the reader decides.
  const found = await Promise.all(files.map((f) => fs.lstat(f).then(() => true, (e: NodeJS.ErrnoException) => e.code !== 'ENOENT' && e.code !== 'ENOTDIR')));
  return found.includes(true);
}

/** Files searched at once: enough to overlap reads, few enough to stay within open-file limits. */
const PARALLEL = 8;

/** Changes whose work-tree content the stash would write into git: untracked files, and tracked files changed in the work tree. */
function stashedContent(changes: StatusEntry[]): StatusEntry[] {
  // `y` is the work tree's side: ' ' means the index already holds it (nothing new stored), 'D' that nothing is left.
  return changes.filter((c) => c.untracked || (c.y !== ' ' && c.y !== 'D'));
}

/**
 * The pre-flight failures for files that hold a secret (each named, never the secret), whose
 * name holds it (counted, never named), whose staged content holds it (the stash keeps the
 * index's blob), or that cannot be read (git stash could not read them either, and would stop
 * half-way).
 */
export async function secretFailures(g: GitDeps, root: string, changes: StatusEntry[], forms: SecretForms): Promise<PreflightFailure[]> {
  if (noSecrets(forms)) return [];
  // Every path the stash records, in its index or work-tree tree: the name itself is stored.
  const named = changes.filter((c) => [c.path, c.from ?? ''].some((p) => bytesHoldSecret(Buffer.from(p, 'utf8'), forms)));
  const rest = changes.filter((c) => !named.includes(c));
  // Env files are refused by name whatever they hold (see stash.ts): listed once, there.
  const todo = stashedContent(rest).filter((c) => !isEnvFile(c.path));
  const holding: StatusEntry[] = [];
  const unreadable: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let c = todo[next++]; c; c = todo[next++]) {
      try {
        if (await fileHoldsSecret(path.join(root, c.path), forms, { followLinks: false })) holding.push(c);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Gone since git status: nothing left to stash.
        if (code !== 'ENOENT' && code !== 'ENOTDIR') unreadable.push(`${c.path} (${code ?? (e as Error).message})`);
      }
    }
  };
  const [staged] = await Promise.all([stagedHolding(g, root, rest, forms), ...Array.from({ length: Math.min(PARALLEL, todo.length) }, worker)]);
  return [
    ...holdingFailure(holding),
    ...(staged.length ? [stagedFailure(staged)] : []),
    ...(named.length ? [namedFailure(named.length)] : []),
    ...(unreadable.length ? [{ check: 'unreadable', message: `file(s) that git stash could not read: ${pathList(unreadable.sort())}`, hint: 'make them readable (chmod u+r), or move them out of the work tree' }] : []),
  ];
}

/**
 * Paths whose staged content (the index's blob, differing from HEAD) holds a secret. `git add`
 * already wrote that blob, unreachable; the stash's index commit would keep it for good.
 */
async function stagedHolding(g: GitDeps, root: string, changes: StatusEntry[], forms: SecretForms): Promise<string[]> {
  const paths = new Set(changes.filter((c) => !c.untracked && c.x !== ' ' && c.x !== 'D').map((c) => c.path));
  if (!paths.size) return [];
  const r = { ...g, cwd: root };
  const ls = await git(r, ['ls-files', '--stage', '-z']);
  const pathOf = new Map<string, string>();
  for (const rec of ls.stdout.split('\0')) {
    // "<mode> <oid> <stage>\t<path>"
    const tab = rec.indexOf('\t');
    const p = rec.slice(tab + 1);
    if (tab > 0 && paths.has(p)) pathOf.set(rec.split(' ')[1]!, p);
  }
  if (!pathOf.size) return [];
  const check = await git(r, ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], { input: [...pathOf.keys()].join('\n') + '\n' });
  const blobs = check.stdout.split('\n').map((l) => l.split(' ')).filter(([, t]) => t === 'blob').map(([oid, , size]) => ({ oid: oid!, size: Number(size) }));
  return (await blobsHoldingSecret(r, blobs, forms)).map((oid) => pathOf.get(oid)!).sort();
}

function stagedFailure(paths: string[]): PreflightFailure {
  return {
    check: 'secret-staged',
    message: `staged file(s) (git add) whose staged content holds a password or secret of the project or of its env files, which the stash would keep in git: ${pathList(paths, 50)}`,
    hint: `unstage them: git restore --staged -- ${paths.map(shq).join(' ')} (then take the password out of them, or have git ignore them)`,
  };
}

/** The names are not shown: they hold the password, and a name is what git would store. */
function namedFailure(count: number): PreflightFailure {
  return {
    check: 'secret-name',
    message: `${count} changed or untracked path(s) have a password or secret of the project in their name, which the stash would store in git (names not shown)`,
    hint: 'rename them or move them out of the work tree; `git status --porcelain` lists them',
  };
}

/** One failure naming every file that holds a secret, with one command per kind that fixes them all. */
function holdingFailure(holding: StatusEntry[]): PreflightFailure[] {
  if (!holding.length) return [];
  const untracked = holding.filter((c) => c.untracked).map((c) => c.path).sort();
  const tracked = holding.filter((c) => !c.untracked).map((c) => c.path).sort();
  const fixes: string[] = [];
  if (untracked.length) {
    fixes.push(`untracked ones: move or delete them, or have git ignore them (ignored files are never stashed): printf '%s\\n' ${untracked.map((p) => shq('/' + p)).join(' ')} >> .git/info/exclude`);
  }
  if (tracked.length) {
    fixes.push(`tracked ones: take the password out of them (or copy them aside and \`git restore -- ${tracked.map(shq).join(' ')}\`)`);
  }
  return [
    {
      check: 'secret-content',
      message: `file(s) that the stash would copy into git's object database hold a password or secret of the project or of its env files: ${pathList([...untracked, ...tracked], 50)}`,
      hint: fixes.join('; '),
    },
  ];
}
