// Real git repositories in temp folders for the rollback tests: no global or system config
// matters (own HOME, GIT_CONFIG_NOSYSTEM, fixed identity and dates).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

export interface Repo {
  dir: string;
  home: string;
  env: Record<string, string>;
  git(...args: string[]): string;
  /** Runs git and returns its exit code (for commands expected to fail, e.g. a conflicting merge). */
  gitCode(...args: string[]): number;
  write(rel: string, content: string): Promise<void>;
  read(rel: string): Promise<string>;
  commit(rel: string, content: string, message: string): string;
  /** Appends `count` commits (each rewriting `file`) to the checked-out branch in one `git fast-import`. */
  importCommits(count: number, file: string, subject: (i: number) => string): void;
  cleanup(): Promise<void>;
}

export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.test',
    GIT_COMMITTER_NAME: 'Test Committer',
    GIT_COMMITTER_EMAIL: 'committer@example.test',
    GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
    // Rebases that stop must not open an editor.
    GIT_EDITOR: 'true',
    GIT_SEQUENCE_EDITOR: 'true',
  };
}

/** An empty repository whose first branch is `branch`. */
export async function makeRepo(branch = 'main'): Promise<Repo> {
  const repo = await emptyRepo();
  repo.git('init', '-q', '-b', branch);
  return repo;
}

/** A temp folder with HOME and an empty `repo` folder, and the helpers bound to it. */
async function emptyRepo(): Promise<Repo> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-git-'));
  const dir = path.join(root, 'repo');
  const home = path.join(root, 'home');
  await fs.mkdir(dir);
  await fs.mkdir(home);
  const env = gitEnv(home);
  const repo: Repo = {
    dir,
    home,
    env,
    git: (...args) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    gitCode: (...args) => spawnSync('git', args, { cwd: dir, env, stdio: 'ignore' }).status ?? -1,
    write: async (rel, content) => {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), content);
    },
    read: (rel) => fs.readFile(path.join(dir, rel), 'utf8'),
    commit: (rel, content, message) => {
      execFileSync('sh', ['-c', 'mkdir -p "$(dirname "$1")" && printf %s "$2" > "$1"', 'sh', rel, content], { cwd: dir });
      repo.git('add', '--', rel);
      repo.git('commit', '-q', '-m', message);
      return repo.git('rev-parse', 'HEAD').trim();
    },
    importCommits: (count, file, subject) => {
      const ref = repo.git('symbolic-ref', 'HEAD').trim();
      const parent = repo.git('rev-parse', 'HEAD').trim();
      const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
      let stream = '';
      for (let i = 1; i <= count; i++) {
        stream += `commit ${ref}\ncommitter T <t@example.test> 1767225600 +0000\n${data(subject(i))}`;
        if (i === 1) stream += `from ${parent}\n`;
        stream += `M 100644 inline ${file}\n${data(String(i))}\n`;
      }
      execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: stream });
      repo.git('reset', '-q', '--hard');
    },
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
  return repo;
}

/**
 * The usual scene: `tag` on the first commits of `branch`, three more commits after it,
 * the refactor branch checked out at the tip, a modified tracked file and a new untracked one.
 */
export async function rollbackScene(opts: { branch?: string; annotated?: boolean; tag?: string; dirty?: boolean } = {}) {
  const branch = opts.branch ?? 'main';
  const tag = opts.tag ?? 'backup-before-refactor';
  const annotated = opts.annotated !== false;
  // Built once per kind and copied: a test gets its own repository for the price of a folder copy.
  const key = `${branch}\0${tag}\0${annotated}`;
  let template = templates.get(key);
  if (!template) {
    template = buildScene(branch, tag, annotated);
    templates.set(key, template);
  }
  const t = await template;
  const repo = await emptyRepo();
  await fs.cp(t.repo.dir, repo.dir, { recursive: true });
  if (opts.dirty !== false) {
    await repo.write('app.py', 'print("work in progress")\n');
    await repo.write('notes/untracked.txt', 'my notes\n');
  }
  return { repo, tag, tagCommit: t.tagCommit, tip: t.tip, branch };
}

const templates = new Map<string, Promise<{ repo: Repo; tagCommit: string; tip: string }>>();

async function buildScene(branch: string, tag: string, annotated: boolean) {
  const repo = await makeRepo(branch);
  repo.commit('app.py', 'print("v1")\n', 'v1');
  repo.commit('lib/util.py', 'X = 1\n', 'add util');
  if (annotated) repo.git('tag', '-a', '-m', 'before refactor', tag);
  else repo.git('tag', tag);
  const tagCommit = repo.git('rev-parse', 'HEAD').trim();
  repo.commit('app.py', 'print("v2")\n', 'refactor 1');
  repo.commit('new_module.py', 'Y = 2\n', 'refactor 2');
  const tip = repo.commit('lib/util.py', 'X = 3\n', 'refactor 3');
  repo.git('checkout', '-q', '-b', '004-multi-project-refactor');
  return { repo, tagCommit, tip };
}

/** Removes the scene templates (call in afterAll). */
export async function cleanupScenes(): Promise<void> {
  for (const t of templates.values()) await (await t).repo.cleanup();
  templates.clear();
}

/** Everything a rollback could change: refs, stash, status, HEAD, and every file's bytes. */
export async function snapshot(repo: Repo) {
  const files: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(repo.dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (r === '.git') continue;
      if (e.isDirectory()) await walk(r);
      else files[r] = await fs.readFile(path.join(repo.dir, r), 'utf8');
    }
  };
  await walk('');
  return {
    refs: repo.git('for-each-ref', '--format=%(refname) %(objectname)'),
    stash: repo.git('stash', 'list'),
    status: repo.git('status', '--porcelain=v1', '--untracked-files=all'),
    head: repo.git('rev-parse', '--symbolic-full-name', 'HEAD') + repo.git('rev-parse', 'HEAD'),
    files,
  };
}

/** Everything: refs, HEAD, stash list, index, status with ignored files, every file's hash and mode, empty folders. */
export async function fullSnapshot(repo: Repo) {
  const files: Record<string, string> = {};
  const empty: string[] = [];
  const walk = async (rel: string) => {
    const entries = await fs.readdir(path.join(repo.dir, rel), { withFileTypes: true });
    if (entries.length === 0) empty.push(rel);
    for (const e of entries) {
      const r = path.join(rel, e.name);
      if (r === '.git') continue;
      if (e.isDirectory()) await walk(r);
      else {
        const st = await fs.lstat(path.join(repo.dir, r));
        files[r] = `${st.mode.toString(8)} ${createHash('sha256').update(await fs.readFile(path.join(repo.dir, r))).digest('hex')}`;
      }
    }
  };
  await walk('');
  return {
    refs: repo.git('for-each-ref', '--format=%(refname) %(objectname)'),
    head: repo.git('rev-parse', '--symbolic-full-name', 'HEAD') + repo.git('rev-parse', 'HEAD'),
    stash: repo.git('stash', 'list', '--format=%H %gs'),
    index: repo.git('ls-files', '-s'),
    status: repo.git('status', '--porcelain=v2', '--ignored', '--untracked-files=all'),
    files,
    empty: empty.sort(),
  };
}

/**
 * Whether any object in the repository (reachable or not, loose or packed) holds one of
 * `needles`. Objects are read decompressed (`cat-file --batch`), so a zlib-packed blob counts.
 */
export function objectsHold(repo: Repo, needles: (string | Buffer)[]): boolean {
  const all = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: repo.dir, env: repo.env, maxBuffer: 256 << 20 });
  return needles.some((n) => all.includes(typeof n === 'string' ? Buffer.from(n) : n));
}

/**
 * For a test file: repositories pushed to `repos` are removed after each test, the built scenes
 * after the file; `scene()` makes the usual rollback scene and tracks its repository.
 */
export function trackedRepos(): { repos: Repo[]; scene: typeof rollbackScene } {
  const repos: Repo[] = [];
  afterEach(async () => {
    for (const r of repos.splice(0)) await r.cleanup();
  });
  afterAll(cleanupScenes);
  const scene: typeof rollbackScene = async (opts) => {
    const s = await rollbackScene(opts);
    repos.push(s.repo);
    return s;
  };
  return { repos, scene };
}

