/**
 * Keeps env files out of git: finds which of the wanted `.gitignore` patterns git does not
 * already honour (asking git itself, so rules anywhere in the tree count), and appends them.
 */
import path from 'node:path';
import { ignoredAmong, type GitDeps } from './porcelain.js';

/** The patterns setup-db guarantees, each with a path that proves it is honoured. */
export const ENV_IGNORE_PATTERNS: readonly { pattern: string; probe: string }[] = [
  { pattern: '.env', probe: '.env' },
  { pattern: '.env.local', probe: '.env.local' },
  { pattern: '.env.*.local', probe: '.env.mcpctl-probe.local' },
];

/** The patterns from `wanted` that git does not ignore yet, relative to `deps.cwd`. */
export async function missingIgnorePatterns(deps: GitDeps, wanted = ENV_IGNORE_PATTERNS): Promise<string[]> {
  const ignored = new Set(await ignoredAmong(deps, wanted.map((w) => w.probe)));
  return wanted.filter((w) => !ignored.has(w.probe)).map((w) => w.pattern);
}

/** `.gitignore` text with `patterns` appended (other lines kept byte for byte). */
export function appendIgnoreLines(text: string, wanted: readonly string[]): string {
  // A line already there (added by a run that finished meanwhile) is not added twice — but only a
  // line below the last negation (`!…`) counts: the last matching rule wins, so one above a
  // `!/.env*` is undone by it, and the pattern is appended again at the end.
  const lines = text.split(/\r?\n/);
  let lastNegation = -1;
  lines.forEach((l, i) => {
    if (l.trimStart().startsWith('!')) lastNegation = i;
  });
  const present = new Set(lines.slice(lastNegation + 1));
  const patterns = wanted.filter((p) => !present.has(p));
  if (!patterns.length) return text;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  const header = text.includes('# env files (secrets)') ? '' : '# env files (secrets)\n';
  return text + sep + header + patterns.join('\n') + '\n';
}

export function gitignorePath(cwd: string): string {
  return path.join(cwd, '.gitignore');
}
