import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../src/lib/process/shell-words.js';

describe('splitCommand', () => {
  it('splits like a POSIX shell without expanding anything', () => {
    expect(splitCommand('python -m workflow_mcp.server')).toEqual(['python', '-m', 'workflow_mcp.server']);
    expect(splitCommand(`a "b c" 'd e' f\\ g "h\\"i" '$HOME' ""`)).toEqual(['a', 'b c', 'd e', 'f g', 'h"i', '$HOME', '']);
    expect(splitCommand('  x   y  ')).toEqual(['x', 'y']);
    expect(splitCommand('a"b"c')).toEqual(['abc']);
  });

  it('rejects unterminated quotes', () => {
    expect(() => splitCommand('a "b')).toThrow(/unterminated double/);
    expect(() => splitCommand("a 'b")).toThrow(/unterminated single/);
  });
});
