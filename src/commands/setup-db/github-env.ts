/**
 * `setup-db --github-env`: after a successful run, the credentials setup-db stored for the app
 * user — POSTGRES_PASSWORD and every URL key in `.env.local` — are appended to the file named by
 * $GITHUB_ENV, so the later steps of a GitHub Actions job get them (docs/ci.md). They are taken
 * from `.env.local` as written, so they are exactly what the project's own tools read.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDotenv } from '../../lib/config/dotenv.js';
import { isUrlKey } from '../../lib/config/url-keys.js';
import type { Context } from '../../lib/context.js';
import { UsageError, UserError } from '../../lib/errors.js';
import { appendGitHubEnv } from '../../lib/github-actions.js';

/** The $GITHUB_ENV file, checked before setup-db changes anything (exit 2 when unset). */
export function githubEnvFile(env: Context['env']): string {
  const file = env.GITHUB_ENV;
  if (!file) {
    throw new UsageError('--github-env needs $GITHUB_ENV, which GitHub Actions sets in every step', {
      hint: 'run it in a workflow step, or leave --github-env out (the credentials are in .env.local and the password file)',
    });
  }
  return file;
}

/** Appends POSTGRES_PASSWORD and the URL keys of `.env.local` to `file`; returns the names appended. */
export async function exportCredentials(ctx: Pick<Context, 'cwd'>, file: string): Promise<string[]> {
  const envLocal = path.join(ctx.cwd, '.env.local');
  const text = await fs.readFile(envLocal, 'utf8').catch(() => '');
  const entries = parseDotenv(text).entries.filter((e) => e.key === 'POSTGRES_PASSWORD' || isUrlKey(e.key));
  if (!entries.some((e) => e.key === 'POSTGRES_PASSWORD' && e.value)) {
    throw new UserError(`${envLocal} holds no POSTGRES_PASSWORD: nothing to hand to the later steps`, { hint: 'run `mcpctl setup-db` without --dry-run first' });
  }
  const list = entries.map((e) => ({ key: e.key, value: e.value }));
  await appendGitHubEnv(file, list);
  return list.map((e) => e.key);
}
