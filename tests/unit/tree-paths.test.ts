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
