import { execFileSync } from 'node:child_process';

/** Environment for deterministic git in tests (no global or system config). */
export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    LC_ALL: 'C',
  };
}

/** Runs git synchronously in `cwd` (test set-up only) and returns stdout. */
export function gitSync(cwd: string, home: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd, env: gitEnv(home), input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export function initRepo(cwd: string, home: string, branch = 'main'): void {
  gitSync(cwd, home, ['init', '-q', '-b', branch]);
}
