import { execFileSync } from 'node:child_process';

export { gitEnv } from './git-repo.js';
import { gitEnv } from './git-repo.js';

/** Runs git synchronously in `cwd` (test set-up only) and returns stdout. */
export function gitSync(cwd: string, home: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd, env: gitEnv(home), input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export function initRepo(cwd: string, home: string, branch = 'main'): void {
  gitSync(cwd, home, ['init', '-q', '-b', branch]);
}
