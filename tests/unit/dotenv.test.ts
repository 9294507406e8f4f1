import { describe, expect, it } from 'vitest';
import { formatDotenvValue, parseDotenv, setDotenvKey } from '../../src/lib/config/dotenv.js';
import { UsageError } from '../../src/lib/errors.js';

const values = (text: string, env: Record<string, string> = {}) => Object.fromEntries(parseDotenv(text, env).entries.map((e) => [e.key, e.value]));

describe('parseDotenv reads as python-dotenv does', () => {
  it('follows its quoting, comment and export rules', () => {
    const text = [
      '# a comment',
      '',
      'A=plain',
      'export B = spaced value  ',
      'C="double \\"quoted\\" \\n line \\$x"',
      "D='single $literal \\n \\\\ \\''",
      'E=',
      'F=value # trailing comment',
      'G=has#hash',
      'H="multi',
      'line"',
      "I='quoted' # comment after quote",
      'J= #not a comment',
    ].join('\n');
    const r = parseDotenv(text);
    expect(r.errors).toEqual([]);
    expect(values(text)).toEqual({
      A: 'plain',
      B: 'spaced value',
      C: 'double "quoted" \n line \\$x',
      D: "single $literal \\n \\ '",
      E: '',
      F: 'value',
      G: 'has#hash',
      H: 'multi\nline',
      I: 'quoted',
      J: '#not a comment',
    });
    expect(r.entries.find((e) => e.key === 'H')!.endLine).toBe(11);
    expect(r.entries.find((e) => e.key === 'I')!.line).toBe(12);
  });

  it('expands ${VAR} and ${VAR:-default} in every quoting, against the file then the environment', () => {
    const text = 'POSTGRES_PASSWORD=ab$cd${ef}gh\nA=${B:-dflt}\nB=file\nC="${B}"\nD=\'${B}\'\nE=${EMPTY:-d}\nF=${HOME}\n';
    expect(values(text, { EMPTY: '', HOME: '/home/u', B: 'env' })).toEqual({
      POSTGRES_PASSWORD: 'ab$cdgh',
      A: 'env',
      B: 'file',
      C: 'file',
      D: 'file',
      E: '',
      F: '/home/u',
    });
    const e = parseDotenv(text).entries[0]!;
    expect([e.raw, e.value]).toEqual(['ab$cd${ef}gh', 'ab$cdgh']);
  });

  it('the last duplicate wins, with a warning naming both lines', () => {
    const r = parseDotenv('A=1\nB=2\nA=3\n');
    expect(values('A=1\nB=2\nA=3\n')).toEqual({ A: '3', B: '2' });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([{ line: 3, message: expect.stringContaining('A is set on lines 1, 3: the last (line 3) wins') }]);
  });

  it('keeps a BOM in the first key, as python-dotenv does, and warns', () => {
    const r = parseDotenv('\ufeffA=1\r\nB=2\r\n');
    expect(r.entries.map((e) => e.key)).toEqual(['\ufeffA', 'B']);
    expect(r.warnings[0]!.message).toMatch(/byte-order mark.*U\+FEFF followed by A, so A is not set/);
  });

  it('reports statements python-dotenv skips, with their lines', () => {
    const r = parseDotenv('OK=1\nA B=2\n=x\nZ="a" junk\nX="unterminated\nY=2\nbare');
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5]);
    expect(r.errors[2]!.message).toMatch(/after the closing quote/);
    expect(r.errors[3]!.message).toMatch(/unterminated double quote/);
    expect(values('OK=1\nY=2\nbare')).toEqual({ OK: '1', Y: '2', bare: '' });
    expect(r.entries.find((e) => e.key === 'bare')!.noValue).toBe(true);
  });

  it('reads a value ending in a backslash inside double quotes the way python-dotenv does (runs on, loses the keys)', () => {
    const r = parseDotenv('A="x\\\\"\nB=2\nC="y"\n');
    expect(r.entries).toEqual([]);
    expect(r.errors.map((e) => e.line)).toEqual([1]);
  });
});

describe('setDotenvKey', () => {
  it('replaces the assignment in place and keeps every other line byte for byte', () => {
    const before = '# keep me\r\nA=1\r\nexport POSTGRES_PASSWORD=old\r\n  # indented comment\r\nZ="x y"\r\n';
    const after = setDotenvKey(before, 'POSTGRES_PASSWORD', 'n3w-Secret_value');
    expect(after).toBe('# keep me\r\nA=1\r\nexport POSTGRES_PASSWORD=n3w-Secret_value\r\n  # indented comment\r\nZ="x y"\r\n');
  });

  it('appends when missing, adding a newline if the file lacks one', () => {
    expect(setDotenvKey('A=1', 'B', 'two')).toBe('A=1\nB=two\n');
    expect(setDotenvKey('', 'B', 'two')).toBe('B=two\n');
  });

  it('rewrites the duplicate that wins and replaces a multi-line value whole', () => {
    expect(setDotenvKey('A=1\nA="one\ntwo"\nB=3\n', 'A', 'x')).toBe('A=1\nA=x\nB=3\n');
  });

  it('chooses the quoting per value', () => {
    expect(formatDotenvValue('abc-DEF_123')).toBe('abc-DEF_123');
    expect(formatDotenvValue('a #b')).toBe("'a #b'");
    expect(formatDotenvValue("it's")).toBe("it's");
    expect(formatDotenvValue("it's #1")).toBe('"it\'s #1"');
    expect(formatDotenvValue('ends\\')).toBe('ends\\');
    expect(formatDotenvValue('two\nlines')).toBe("'two\nlines'");
  });

  it('refuses, naming the key, a value no quoting can carry', () => {
    for (const v of ['x${A}y', 'cr\rhere', `both ' and " #`]) {
      expect(() => setDotenvKey('', 'POSTGRES_PASSWORD', v)).toThrow(UsageError);
      expect(() => setDotenvKey('', 'POSTGRES_PASSWORD', v)).toThrow(/POSTGRES_PASSWORD/);
    }
  });
});
