import { promises as fs } from 'node:fs';
import path from 'node:path';
import { displayArg } from '../../../lib/process/exec.js';
import { filesContaining, git, gitPath, historyContaining } from '../../../lib/git/porcelain.js';
import { missingIgnorePatterns } from '../../../lib/git/gitignore.js';
import { fail, pass, runCheck, skip, warn, type Check } from '../../../lib/cli/report.js';
import { pathExists } from '../../../lib/files/fs-exists.js';
import type { EnvFacts } from '../facts.js';

export function gitignoreCheck(f: EnvFacts, gitRoot: string | undefined): Promise<Check> {
  return runCheck('gitignore', async () => {
    if (!gitRoot) return skip('not a git work tree');
    const missing = await missingIgnorePatterns(f.git);
    if (missing.length) {
      return fail(`.gitignore does not cover ${missing.join(', ')}`, `add these lines to .gitignore: ${missing.join('  ')} (or run \`mcpctl setup-db\`)`);
    }
    return pass('.env, .env.local and .env.*.local are ignored');
  });
}

/** The configured password in a tracked file or anywhere in the history is a leak. */
export function secretsInGitCheck(f: EnvFacts, gitRoot: string | undefined): Promise<Check> {
  return runCheck('secrets-in-git', async () => {
    if (!gitRoot) return skip('not a git work tree');
    if (!f.loaded) return skip('configuration invalid');
    const pw = (await f.appPassword())!;
    if (!pw.password) return skip('no password configured');
    const [found, history] = await Promise.all([filesContaining(f.git, pw.password), historyContaining(f.git, pw.password)]);
    const files = [...new Set([...found.worktree, ...found.head.map((p) => `${p} (HEAD)`)])];
    const rotate = 'rotate it: mcpctl setup-db --rotate-password';
    const paths = [...new Set(history.map((h) => h.path))];
    const purge = `to purge the history, rewrite it (git filter-repo --invert-paths ${paths.map((p) => `--path ${displayArg(p)}`).join(' ')}, or --replace-text), then git push --force --all and --tags, and have every clone re-cloned`;
    if (files.length) {
      return fail(`the configured password appears in tracked files: ${files.join(', ')}`, `remove it from those files, commit, and ${rotate}${history.length ? `; ${purge}` : ''}`);
    }
    if (history.length) {
      const commits = (c: string[]) => (c.length ? `commit${c.length > 1 ? 's' : ''} ${c.slice(0, 3).join(', ')}${c.length > 3 ? ', …' : ''}` : 'no commit on a ref');
      const where = history.map((h) => `${h.path} (${commits(h.commits)})`);
      return fail(`the configured password is in the git history: ${where.join(', ')}`, `treat it as leaked and ${rotate}; ${purge}`);
    }
    return pass('the password is in no tracked file and nowhere in the history');
  });
}

export function preCommitCheck(f: EnvFacts, gitRoot: string | undefined): Promise<Check> {
  return runCheck('pre-commit', async () => {
    if (!gitRoot) return skip('not a git work tree');
    const hooksPath = await git(f.git, ['config', '--get', 'core.hooksPath']);
    const configured = hooksPath.exitCode === 0 ? hooksPath.stdout.trim() : '';
    const hook = configured ? path.resolve(gitRoot, configured, 'pre-commit') : await gitPath(f.git, 'hooks/pre-commit');
    const hasConfig = await pathExists(path.join(gitRoot, '.pre-commit-config.yaml'));
    if (hook && (await isExecutable(hook))) return pass(`hook installed (${path.relative(gitRoot, hook) || hook})`);
    return warn('no pre-commit hook installed', hasConfig ? 'run: pre-commit install' : 'add a .pre-commit-config.yaml (for example with detect-secrets), then: pre-commit install');
  });
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
