import { describe, expect, it } from 'vitest';
import { formatDotenvValue, parseDotenv, setDotenvKey } from '../../src/lib/config/dotenv.js';

describe('parseDotenv', () => {
  it('follows the usual dotenv rules', () => {
    const text = [
      '# a comment',
      '',
      'A=plain',
      'export B = spaced value  ',
      'C="double \\"quoted\\" \\n line"',
      "D='single $literal \\n'",
      'E=',
      'F=value # trailing comment',
      'G=has#hash',
      'H="multi',
      'line"',
      'I=\'quoted\' # comment after quote',
    ].join('\n');
    const r = parseDotenv(text);
    expect(r.errors).toEqual([]);
    const m = Object.fromEntries(r.entries.map((e) => [e.key, e.value]));
    expect(m).toEqual({
      A: 'plain',
      B: 'spaced value',
      C: 'double "quoted" \n line',
      D: 'single $literal \\n',
      E: '',
      F: 'value',
      G: 'has#hash',
      H: 'multi\nline',
      I: 'quoted',
    });
    expect(r.entries.find((e) => e.key === 'H')!.line).toBe(10);
    expect(r.entries.find((e) => e.key === 'I')!.line).toBe(12);
  });

  it('reports malformed lines with their numbers and never skips them silently', () => {
    const r = parseDotenv('OK=1\nno equals here\n1BAD=x\nZ="a" junk\nX="unterminated\nY=2');
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5]);
    expect(r.errors[0]!.message).toMatch(/no "="/);
    expect(r.errors[1]!.message).toMatch(/invalid key/);
    expect(r.errors[2]!.message).toMatch(/after the closing quote/);
    expect(r.errors[3]!.message).toMatch(/unterminated double quote/);
    expect(r.entries.map((e) => e.key)).toEqual(['OK']);
  });

  it('reports duplicate keys', () => {
    const r = parseDotenv('A=1\nB=2\nA=3\n');
    expect(r.errors).toEqual([{ line: 3, message: 'duplicate key A (first set on line 1)' }]);
  });

  it('handles CRLF line endings and a BOM', () => {
    const r = parseDotenv('\ufeffA=1\r\nB=2\r\n');
    expect(r.entries.map((e) => [e.key, e.value])).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
  });
});

describe('setDotenvKey', () => {
  it('replaces the assignment in place and keeps every other line byte for byte', () => {
    const before = '# keep me\nA=1\nPOSTGRES_PASSWORD=old\n  # indented comment\nZ="x y"\n';
    const after = setDotenvKey(before, 'POSTGRES_PASSWORD', 'n3w-Secret_value');
    expect(after).toBe('# keep me\nA=1\nPOSTGRES_PASSWORD=n3w-Secret_value\n  # indented comment\nZ="x y"\n');
  });

  it('appends when missing, adding a newline if the file lacks one', () => {
    expect(setDotenvKey('A=1', 'B', 'two')).toBe('A=1\nB=two\n');
    expect(setDotenvKey('', 'B', 'two')).toBe('B=two\n');
  });

  it('replaces a multi-line quoted value whole', () => {
    const out = setDotenvKey('A="one\ntwo"\nB=3\n', 'A', 'x');
    expect(out).toBe('A=x\nB=3\n');
    // A comment after the value is not part of it.
    expect(setDotenvKey('A="one\ntwo"\n# note\nB=3\n', 'A', 'x')).toBe('A=x\n# note\nB=3\n');
  });

  it('quotes values that need it and round-trips them', () => {
    for (const v of ['plain', 'with space', 'quote"s', 'back\\slash', 'hash #x', "it's"]) {
      const text = setDotenvKey('', 'K', v);
      expect(parseDotenv(text).entries[0]!.value).toBe(v);
    }
    expect(formatDotenvValue('abc-DEF_123')).toBe('abc-DEF_123');
  });
});
