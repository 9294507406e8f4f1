/**
 * The stash simulation's ignore check: which of the files ignored now a commit's `.gitignore`
 * files would leave unignored. The commit's `.gitignore` blobs are written into a scratch folder
 * that serves as the work tree of this repository's own git dir (`GIT_DIR`, `GIT_WORK_TREE`), and
 * `git check-ignore --no-index` asks there: this repository's info/exclude, core.excludesFile and
 * the rest of its configuration apply as they are, and nothing of the repository is written.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { unsafeTreePath } from './tree-paths.js';

const split = (z: string) => z.split('\0').filter((s) => s.length > 0);

async function gitOut(g: GitDeps, args: string[], input?: string): Promise<string> {
  const res = await git(g, args, { input });
  if (res.exitCode !== 0) throw new Error(`git ${args[0]} failed: ${(res.stderr || res.stdout).trim()}`);
  return res.stdout;
}

/**
 * A commit's `.gitignore` files that git reads once checked out: path → blob. Git does not follow
 * a `.gitignore` that is a symbolic link, and refuses to check out a path like `../x/.gitignore`
 * (which would also lead the simulation out of its scratch folder): both are left out.
 */
async function ignoreFilesAt(g: GitDeps, commit: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of split(await gitOut(g, ['ls-tree', '-r', '-z', '--full-tree', commit]))) {
    // "<mode> <type> <oid>\t<path>"
    const tab = entry.indexOf('\t');
    const [mode, type, oid] = entry.slice(0, tab).split(' ');
    const p = entry.slice(tab + 1);
    if (type === 'blob' && oid && mode !== '120000' && path.posix.basename(p) === '.gitignore' && !unsafeTreePath(p)) files.set(p, oid);
  }
  return files;
}

/** The contents of `oids`, from one `git cat-file --batch`. */
async function blobContents(g: GitDeps, oids: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (!oids.length) return out;
  const r = await git(g, ['cat-file', '--batch'], { input: oids.join('\n') + '\n', encoding: 'latin1' });
  if (r.exitCode !== 0) throw new Error(`git cat-file failed: ${r.stderr.trim()}`);
  // Each object: "<oid> blob <size>\n<size bytes>\n"; latin1 keeps one character per byte.
  for (let at = 0; at < r.stdout.length; ) {
    const nl = r.stdout.indexOf('\n', at);
    if (nl < 0) break;
    const [oid, type, size] = r.stdout.slice(at, nl).split(' ');
    if (type !== 'blob') throw new Error(`git cat-file: ${oid} is ${type}`);
    const end = nl + 1 + Number(size);
    out.set(oid!, Buffer.from(r.stdout.slice(nl + 1, end), 'latin1'));
    at = end + 1;
  }
  return out;
}

/**
 * Of `paths`, those that the `.gitignore` files `files` (path → blob), with `kept` (ignored
 * `.gitignore` files of the work tree, which neither the stash nor the reset touches) and the
 * repository's own exclude rules, leave unignored.
 */
async function notIgnoredWith(g: GitDeps, gitDir: string, files: Map<string, string>, kept: Map<string, Buffer>, paths: string[]): Promise<string[]> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-ignore-'));
  try {
    const blobs = await blobContents(g, [...new Set(files.values())]);
    const contents = new Map<string, Buffer>(kept);
    for (const [p, oid] of files) contents.set(p, blobs.get(oid)!);
    for (const [p, content] of contents) {
      await fs.mkdir(path.join(tmp, path.dirname(p)), { recursive: true });
      await fs.writeFile(path.join(tmp, p), content);
    }
    const t: GitDeps = { ...g, cwd: tmp, env: { ...g.env, GIT_DIR: gitDir, GIT_WORK_TREE: tmp } };
    const loose = async (list: string[]) => {
      const still = new Set(split((await git(t, ['check-ignore', '--no-index', '-z', '--stdin'], { input: list.join('\0') + '\0' })).stdout));
      return list.filter((p) => !still.has(p));
    };
    const found = await loose(paths);
    // A folder named as one (a rule ignores it now: `/build/`) that the commit does not ignore:
    // its files are asked one by one, as the commit's rules for them (`*.o`) may still match.
    const dirs = found.filter((p) => p.endsWith('/'));
    if (!dirs.length) return found;
    const inside = split(await gitOut(g, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--', ...dirs]));
    return [...new Set([...found.filter((p) => !p.endsWith('/')), ...(inside.length ? await loose(inside) : [])])].sort();
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * For each of `commits`, the paths of `paths` (ignored now, relative to the top folder `g.cwd`; a
 * folder ends in `/`) that its `.gitignore` files leave unignored. `git check-ignore` counts a
 * file in an ignored folder as ignored. Commits with the same `.gitignore` files share one answer.
 */
export async function notIgnoredAt(g: GitDeps, gitDir: string, commits: string[], paths: string[]): Promise<string[][]> {
  if (!commits.length) return [];
  const [kept, ...sets] = await Promise.all([keptIgnoreFiles(g.cwd, paths), ...commits.map((c) => ignoreFilesAt(g, c))]);
  const answers = new Map<string, Promise<string[]>>();
  return Promise.all(
    sets.map((files) => {
      const key = [...files].map(([p, oid]) => `${oid} ${p}`).join('\0');
      if (!answers.has(key)) answers.set(key, notIgnoredWith(g, gitDir, files, kept, paths));
      return answers.get(key)!;
    }),
  );
}

/**
 * The ignored `.gitignore` files of the work tree (`sub/.gitignore` holding `*` ignores itself):
 * the stash leaves them, so their rules still hold after it. Regular files only, as git reads.
 */
async function keptIgnoreFiles(root: string, ignored: string[]): Promise<Map<string, Buffer>> {
  const kept = new Map<string, Buffer>();
  await Promise.all(
    ignored
      .filter((p) => path.posix.basename(p) === '.gitignore' && !unsafeTreePath(p))
      .map(async (p) => {
        const file = path.join(root, p);
        const st = await fs.lstat(file).catch(() => undefined);
        if (st?.isFile()) kept.set(p, await fs.readFile(file));
      }),
  );
  return kept;
}
