/**
 * `mcpctl init`: a new project's files from the template shipped in the package — `.env`
 * (every key, no secret), `migrations/`, and `.gitignore` lines for the env files and backups.
 * Planned first; an existing `.env` is refused (exit 3, nothing changed) unless `force`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-write.js';
import type { CoreDeps } from '../../lib/cli/core-deps.js';
import { RefusedError, UserError } from '../../lib/cli/errors.js';
import { pathExists } from '../../lib/files/fs-exists.js';
import { appendIgnoreLines, ENV_IGNORE_PATTERNS, gitignorePath } from '../../lib/git/gitignore.js';
import { packageRoot } from '../../lib/package-root.js';

/** The `.gitignore` lines init guarantees: the env files setup-db guards, and backups. */
export const INIT_IGNORE_LINES: readonly string[] = [...ENV_IGNORE_PATTERNS.map((p) => p.pattern), 'backups/'];

export interface InitOptions {
  /** Overwrite an existing `.env` (its old content is kept as `.env.bak`). */
  force?: boolean;
}

/** init needs only the project folder: it reads no configuration, asks nothing and reports through its result. */
export type InitDeps = { ctx: Pick<CoreDeps['ctx'], 'cwd'> };

/** One file or folder init looked at. */
export interface InitStep {
  path: string;
  action: 'created' | 'overwritten' | 'updated' | 'unchanged';
  detail: string;
}

export interface InitResult {
  ok: true;
  project: string;
  steps: InitStep[];
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed`);
  }
}

export async function runInit(deps: InitDeps, opts: InitOptions = {}): Promise<InitResult> {
  const cwd = deps.ctx.cwd;
  const templatePath = path.join(packageRoot(), '.env.template');
  const template = await readText(templatePath);
  if (template === undefined) throw new UserError(`the template ${templatePath} is missing from the mcpctl package`, { hint: 'reinstall mcpctl' });

  // Plan: everything is decided (and refused) before anything is written.
  const envPath = path.join(cwd, '.env');
  const current = await readText(envPath);
  if (current !== undefined && !opts.force) {
    throw new RefusedError(`${envPath} already exists; nothing was changed`, { hint: 'keep it (mcpctl verify-env checks it), or overwrite it from the template with `mcpctl init --force` (the old one is kept as .env.bak)' });
  }
  const migrations = path.join(cwd, 'migrations');
  const migrationsExists = await pathExists(migrations);
  if (migrationsExists && !(await fs.stat(migrations)).isDirectory()) throw new UserError(`${migrations} exists and is not a folder; nothing was changed`);
  // The old .env kept by --force may hold secrets someone typed: ignored like the file it was.
  const backup = current !== undefined && current !== template;
  const ignoreLines = backup ? [...INIT_IGNORE_LINES, '.env.bak'] : INIT_IGNORE_LINES;
  const gi = gitignorePath(cwd);
  const giText = (await readText(gi)) ?? '';
  const giNew = appendIgnoreLines(giText, ignoreLines).replace('# env files (secrets)\n', '# env files (secrets) and backups\n');

  const steps: InitStep[] = [];
  if (current === undefined) {
    await writeFileAtomic(envPath, template, { mode: 0o600 });
    steps.push({ path: envPath, action: 'created', detail: "from mcpctl's .env.template (no secrets; setup-db writes the password to .env.local)" });
  } else if (current === template) {
    steps.push({ path: envPath, action: 'unchanged', detail: 'already the template' });
  } else if (backup) {
    const st = await fs.stat(envPath);
    // The old file may hold values someone typed: kept beside it, with its own mode.
    await writeFileAtomic(path.join(cwd, '.env.bak'), current, { mode: st.mode & 0o777 & ~0o077 });
    await writeFileAtomic(envPath, template, { mode: 0o600 });
    steps.push({ path: envPath, action: 'overwritten', detail: 'from the template (--force); the old one is .env.bak' });
  }
  if (!migrationsExists) {
    await fs.mkdir(migrations);
    // git keeps no empty folders; the placeholder makes the folder part of the project.
    await fs.writeFile(path.join(migrations, '.gitkeep'), '');
    steps.push({ path: migrations, action: 'created', detail: 'setup-db applies migrations/*.sql in name order' });
  } else steps.push({ path: migrations, action: 'unchanged', detail: 'exists' });
  if (giNew !== giText) {
    await writeFileAtomic(gi, giNew, { mode: (await fs.stat(gi).then((s) => s.mode & 0o777).catch(() => 0o644)) });
    const added = ignoreLines.filter((l) => !giText.split(/\r?\n/).includes(l));
    steps.push({ path: gi, action: giText ? 'updated' : 'created', detail: `ignores ${added.join(', ')}` });
  } else steps.push({ path: gi, action: 'unchanged', detail: `already ignores ${ignoreLines.join(', ')}` });
  return { ok: true, project: cwd, steps };
}
