import { describe, expect, it } from 'vitest';
import { advisoryKey } from '../../src/commands/setup-db/advisory-lock.js';
import { appendIgnoreLines } from '../../src/lib/git/gitignore.js';

describe('appendIgnoreLines', () => {
  it('appends again a pattern that a later negation undoes (the last matching rule wins)', () => {
    const text = 'backups/\n.env\n.env.local\n!/.env*\n';
    expect(appendIgnoreLines(text, ['.env', '.env.local'])).toBe(text + '# env files (secrets)\n.env\n.env.local\n');
    // Below the last negation, a line counts as present.
    expect(appendIgnoreLines('!keep\n.env\n', ['.env'])).toBe('!keep\n.env\n');
  });

  it('appends missing patterns under one header, keeping the text byte for byte', () => {
    expect(appendIgnoreLines('node_modules/\n*.log', ['.env', '.env.local'])).toBe('node_modules/\n*.log\n# env files (secrets)\n.env\n.env.local\n');
    expect(appendIgnoreLines('', ['.env.*.local'])).toBe('# env files (secrets)\n.env.*.local\n');
    expect(appendIgnoreLines('a\r\n', [])).toBe('a\r\n');
    expect(appendIgnoreLines('# env files (secrets)\n.env\n', ['.env.local'])).toBe('# env files (secrets)\n.env\n.env.local\n');
  });
});

describe('advisoryKey', () => {
  it('is a stable signed 64-bit integer per name', () => {
    const k = advisoryKey('mcpctl setup-db');
    expect(k).toBe(advisoryKey('mcpctl setup-db'));
    expect(k).not.toBe(advisoryKey('something else'));
    const n = BigInt(k);
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});
