import { describe, expect, it } from 'vitest';
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
