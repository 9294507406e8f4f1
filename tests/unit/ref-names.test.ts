// The rollback's ref-name check against git's own (`git check-ref-format`), on seeded generated
// names: a name git refuses must be a usage error (exit 2), not a "does not exist".
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/commands/baseline/prng.js';
import { validRefName } from '../../src/commands/rollback/preflight.js';

const PIECES = ['a', 'main', 'v1', '.', '..', '/', '//', '@', '@{', '{', '}', '-', '.lock', 'x.lock', '~', '^', ':', '?', '*', '[', '\\', ' ', '\t', '\x7f', 'é', '_', '+', ',', '#'];

function names(seed: string, n: number): string[] {
  const r = new Prng(seed);
  const out = ['a..b', 'x.lock', '@{1}', 'a//b', '@', 'a/', '.a', 'a/.b', 'a.', 'feature/x', 'v1.0', 'a@b', 'a{b}', 'refs/x'];
  for (let i = 0; i < n; i++) {
    const len = 1 + r.int(5);
    out.push(Array.from({ length: len }, () => PIECES[r.int(PIECES.length)]).join(''));
  }
  return [...new Set(out)];
}

describe('validRefName agrees with git check-ref-format', () => {
  it('on 200 generated names', () => {
    const disagree: string[] = [];
    for (const name of names('ref-names', 200)) {
      // As a tag and as a branch, the way rollback uses them (refs/tags/<name>, refs/heads/<name>).
      // `@` alone is a valid ref part but means HEAD on a command line: refused too.
      const git = spawnSync('git', ['check-ref-format', `refs/heads/${name}`]).status === 0 && !name.startsWith('-') && name !== '@';
      if (git !== validRefName(name)) disagree.push(JSON.stringify(name));
    }
    expect(disagree).toEqual([]);
  });
});
