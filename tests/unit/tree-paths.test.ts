import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/commands/baseline/prng.js';
import { unsafeTreePath } from '../../src/commands/rollback/tree-paths.js';

describe('unsafeTreePath: paths git refuses to check out', () => {
  it.each(['../x/.gitignore', 'a/../b', '..', '.', 'a/./b', '/etc/passwd', 'a//b', 'a/', '.git/hooks/pre-commit', 'sub/.GIT/config', 'x/.Git'])('refuses %j', (p) => {
    expect(unsafeTreePath(p)).toBe(true);
  });
  it.each(['app.py', '.gitignore', 'a/b/.gitignore', '...', '..a', 'a..', '.github/workflows/ci.yml', '.gitmodules', 'x/.git-foo'])('accepts %j', (p) => {
    expect(unsafeTreePath(p)).toBe(false);
  });
});

// Checked against git 2.39's `read-tree` (core.protectNTFS on, its default everywhere).
describe('unsafeTreePath: git’s NTFS rules, and names no file system takes', () => {
  it.each(['git~1/x', 'GIT~1', 'Git~1. ', '.git.', '.git ', '.git. .', '.git:x', '.git::$INDEX_ALLOCATION', 'a/.git::$index_allocation/b', 'a\\.git', '.git\\x', 'x\\git~1', 'a'.repeat(256), `d/${'é'.repeat(128)}`])('refuses %j', (p) => {
    expect(unsafeTreePath(p)).toBe(true);
  });
  it.each(['git~10', 'git~2', ' .git', '.git..x', '.gitx', '.git~1', 'a'.repeat(255), 'gitmod~1', 'a\\b'])('accepts %j', (p) => {
    expect(unsafeTreePath(p)).toBe(false);
  });
  it.each(['.gitmodules', '.GITMODULES', '.gitmodules:x', '.gitmodules.', '.gitmodules ', 'gitmod~1', 'GITMOD~4', 'gi7eba~1', 'GI7EBA~9', 'sub/.gitmodules', 'a\\.gitmodules'])('refuses the symbolic link %j', (p) => {
    expect(unsafeTreePath(p, '120000')).toBe(true);
  });
  it.each(['gitmod~5', '.gitattributes', '.gitignore', '.mailmap', 'gitatt~1', '.gitmodulesx'])('accepts the symbolic link %j', (p) => {
    expect(unsafeTreePath(p, '120000')).toBe(false);
  });
});

// The judge is git: each name in a tree of its own, `git read-tree -n` into a scratch index
// (core.protectHFS on too, which unsafeTreePath applies always). Names over 255 bytes are left
// out: git takes them, no file system writes them.
describe('unsafeTreePath agrees with git read-tree', () => {
  it('on generated single names, as a file and as a symbolic link', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-treejudge-'));
    try {
      const run = (args: string[], input?: string, env: Record<string, string> = {}) =>
        spawnSync('git', args, { cwd: dir, input, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, ...env } });
      run(['init', '-q']);
      const blob = run(['hash-object', '-w', '--stdin'], 'x').stdout.trim();
      const r = new Prng('tree-judge');
      const bits = ['.git', 'git~1', 'GIT~1', '.GIT', '.gitmodules', 'gitmod~1', 'gi7eba~2', '.', '..', ' ', ':', '::$INDEX_ALLOCATION', '\\', '\u200c', '\ufeff', 'a', 'x', '~1', '~'];
      const names = new Set<string>();
      for (let i = 0; i < 150; i++) names.add(Array.from({ length: 1 + r.int(3) }, () => bits[r.int(bits.length)]).join(''));
      const disagree: string[] = [];
      for (const name of names) {
        for (const mode of ['100644', '120000']) {
          const tree = run(['mktree'], `${mode} blob ${blob}\t${name}\n`).stdout.trim();
          if (!tree) continue; // mktree refuses it (a '/' or empty name): never in a tree
          const git = run(['-c', 'core.protectHFS=true', 'read-tree', '-n', tree], undefined, { GIT_INDEX_FILE: path.join(dir, 'scratch-index') }).status !== 0;
          if (git !== unsafeTreePath(name, mode)) disagree.push(`${mode} ${JSON.stringify(name)}: git ${git ? 'refuses' : 'takes'}`);
        }
      }
      expect(disagree).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
