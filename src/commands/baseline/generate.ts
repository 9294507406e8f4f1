import { writeFile, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-write.js';
import type { CoreDeps } from '../../lib/cli/core-deps.js';
import { InterruptedError, UsageError } from '../../lib/cli/errors.js';
import { GENERATOR_VERSION, planRepo, renderFile, type RepoPlan } from './pyrepo.js';
import { comparePaths, TreeHasher, treeDigest } from './tree-digest.js';

/** The marker that says "generate-repo made this folder"; left out of the tree digest. */
export const MARKER = '.mcpctl-generated.json';
export const MAX_FILES = 1_000_000;
export const DEFAULT_SEED = '42';

/** Options of `mcpctl baseline generate-repo`. */
export interface GenerateOptions {
  files: number;
  /** Output folder, relative to ctx.cwd. */
  out: string;
  seed?: string;
  /** Replace a folder this command generated with other arguments, or whose files were changed. */
  force?: boolean;
}

/** What generate-repo tells its adapter while it writes: files written so far. */
export type GenerateEvent = { type: 'progress'; done: number; total: number };

export type GenerateDeps = Pick<CoreDeps<GenerateEvent>, 'events'> & { ctx: Pick<CoreDeps['ctx'], 'cwd' | 'signal'> };

/** Files written at once. */
const WRITE_CONCURRENCY = 32;

/** Content of the marker file. */
export interface GenerateMarker {
  tool: 'mcpctl baseline generate-repo';
  version: number;
  files: number;
  seed: string;
  /** False while files are being written: an interrupted run is replaced on the next one. */
  complete: boolean;
  digest: string | null;
}

export interface GenerateResult {
  ok: true;
  dir: string;
  files: number;
  seed: string;
  version: number;
  /** SHA-256 tree digest (docs/baseline.md), marker excluded. */
  digest: string;
  bytes: number;
  /** 'created' (empty or new folder), 'unchanged' (already generated with these arguments),
   *  'replaced' (a previous generation was removed first). */
  action: 'created' | 'unchanged' | 'replaced';
  ms: number;
}

export async function runGenerateRepo(deps: GenerateDeps, options: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const { files } = options;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(files) || files < 1 || files > MAX_FILES) throw new UsageError(`--files must be a whole number from 1 to ${MAX_FILES}`);
  const dir = path.resolve(deps.ctx.cwd, options.out);
  const done = (action: GenerateResult['action'], digest: string, bytes: number): GenerateResult => ({
    ok: true,
    dir,
    files,
    seed,
    version: GENERATOR_VERSION,
    digest,
    bytes,
    action,
    ms: performance.now() - t0,
  });

  const prepared = await prepareFolder(dir, files, seed, options.force === true);
  if (prepared.action === 'unchanged') return done('unchanged', prepared.digest, prepared.bytes);
  const { action } = prepared;

  await fs.mkdir(dir, { recursive: true });
  const marker: GenerateMarker = { tool: 'mcpctl baseline generate-repo', version: GENERATOR_VERSION, files, seed, complete: false, digest: null };
  await writeMarker(dir, marker);

  const plan = planRepo(files, seed);
  const { hasher, bytes } = await writeFiles(deps, plan, dir, files);
  const digest = hasher.hex();
  await writeMarker(dir, { ...marker, complete: true, digest });
  return done(action, digest, bytes);
}

/** Refuses a folder that is not ours; empties ours when it must be regenerated. */
async function prepareFolder(dir: string, files: number, seed: string, force: boolean): Promise<{ action: 'created' | 'replaced' } | { action: 'unchanged'; digest: string; bytes: number }> {
  const state = await inspectFolder(dir);
  if (state.kind === 'foreign') {
    throw new UsageError(`${dir} is not empty and was not made by mcpctl baseline generate-repo`, {
      hint: 'choose an empty or new folder with --out',
    });
  }
  if (state.kind === 'generated') {
    const m = state.marker;
    const same = m.complete && m.version === GENERATOR_VERSION && m.files === files && m.seed === seed;
    if (same) {
      const now = await treeDigest(dir, new Set([MARKER]));
      if (now.digest === m.digest) return { action: 'unchanged', digest: now.digest, bytes: now.bytes };
      if (!force) {
        throw new UsageError(`files in ${dir} changed since they were generated (digest ${now.digest.slice(0, 12)}…, expected ${String(m.digest).slice(0, 12)}…)`, {
          hint: 'add --force to regenerate the folder from scratch',
        });
      }
    } else if (m.complete && !force) {
      const was = m.version === GENERATOR_VERSION ? `--files ${m.files} --seed ${m.seed}` : `generator version ${m.version}`;
      throw new UsageError(`${dir} holds a repository generated with ${was}`, {
        hint: 'add --force to replace it, or choose another folder with --out',
      });
    }
    // Ours (an interrupted run, other arguments with --force, or edited with --force): start clean.
    await emptyFolder(dir);
    return { action: 'replaced' };
  }
  return { action: 'created' };
}

/** Writes the planned files (a bounded number at once), hashing them in path order as it goes. */
async function writeFiles(deps: GenerateDeps, plan: RepoPlan, dir: string, files: number): Promise<{ hasher: TreeHasher; bytes: number }> {
  for (const d of plan.dirs) await fs.mkdir(path.join(dir, ...d.split('/')), { recursive: true });
  const ordered = [...plan.files].sort((a, b) => comparePaths(a.path, b.path));
  const hasher = new TreeHasher();
  let bytes = 0;
  let written = 0;
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  const step = Math.max(1, Math.floor(files / 100));
  for (const f of ordered) {
    if (deps.ctx.signal.aborted || failure) break;
    const content = Buffer.from(renderFile(plan, f), 'utf8');
    hasher.add(f.path, content);
    bytes += content.length;
    const p: Promise<void> = writeFileCb(path.join(dir, ...f.path.split('/')), content)
      .then(
        () => {
          written++;
          if (written % step === 0 || written === files) deps.events({ type: 'progress', done: written, total: files });
        },
        (e: unknown) => {
          failure ??= e;
        },
      )
      .finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= WRITE_CONCURRENCY) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure) throw failure;
  if (deps.ctx.signal.aborted) throw new InterruptedError('interrupted: the folder is marked incomplete and the next run regenerates it');
  return { hasher, bytes };
}

type FolderState = { kind: 'absent' | 'empty' | 'foreign' } | { kind: 'generated'; marker: GenerateMarker };

async function inspectFolder(dir: string): Promise<FolderState> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    if (code === 'ENOTDIR') throw new UsageError(`${dir} exists and is not a folder`, { hint: 'choose another --out' });
    throw e;
  }
  if (entries.length === 0) return { kind: 'empty' };
  if (!entries.includes(MARKER)) return { kind: 'foreign' };
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, MARKER), 'utf8')) as Partial<GenerateMarker>;
    if (m.tool !== 'mcpctl baseline generate-repo' || typeof m.version !== 'number' || typeof m.files !== 'number' || typeof m.seed !== 'string') return { kind: 'foreign' };
    return { kind: 'generated', marker: { ...m, complete: m.complete === true, digest: typeof m.digest === 'string' ? m.digest : null } as GenerateMarker };
  } catch {
    return { kind: 'foreign' };
  }
}

/** Removes everything inside `dir` (only ever called on a folder that carries our marker). */
async function emptyFolder(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name !== MARKER) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

function writeMarker(dir: string, marker: GenerateMarker): Promise<void> {
  return writeFileAtomic(path.join(dir, MARKER), JSON.stringify(marker, null, 2) + '\n', { mode: 0o644 });
}

/** fs.writeFile through its callback API: measurably less overhead per small file than fs.promises. */
function writeFileCb(file: string, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => writeFile(file, data, (e) => (e ? reject(e) : resolve())));
}
