import { describe, expect, it } from 'vitest';
import { fmtMs, isRegression, parseMaxRegression, parseTarget, trimNum } from '../../src/commands/baseline/compare.js';

describe('--max-regression and the threshold', () => {
  it('reads percentages and ratios as the same allowance', () => {
    expect(parseMaxRegression('20%')).toBe(0.2);
    expect(parseMaxRegression('1.2')).toBe(0.2);
    expect(parseMaxRegression('0%')).toBe(0);
    expect(parseMaxRegression('1')).toBe(0);
    expect(parseMaxRegression('12.5%')).toBe(0.125);
    expect(parseMaxRegression('2')).toBe(1);
  });

  it('refuses ambiguous fractions and garbage (exit 2)', () => {
    expect(() => parseMaxRegression('0.2')).toThrow(/ambiguous/);
    expect(() => parseMaxRegression('-5%')).toThrow(/percentage like 20%/);
    expect(() => parseMaxRegression('fast')).toThrow(/percentage like 20%/);
  });

  it('is strictly greater: exactly at the threshold is not a regression despite binary floating point', () => {
    // 1.1 × 1.2 = 1.32 exactly in decimal, 1.3200000000000003 in binary.
    for (const allowed of [parseMaxRegression('20%'), parseMaxRegression('1.2')]) {
      expect(isRegression(100, 120, allowed)).toBe(false);
      expect(isRegression(1.1, 1.32, allowed)).toBe(false);
      expect(isRegression(0.3, 0.36, allowed)).toBe(false);
      expect(isRegression(100, 120.01, allowed)).toBe(true);
      expect(isRegression(100, 121, allowed)).toBe(true);
      expect(isRegression(100, 80, allowed)).toBe(false);
    }
    expect(isRegression(7, 7, 0)).toBe(false);
    expect(isRegression(7, 7.001, 0)).toBe(true);
    expect(isRegression(0, 0, 0.2)).toBe(false);
    expect(isRegression(0, 1, 0.2)).toBe(true);
  });

  it('parses --target name=ms, splitting at the last =', () => {
    expect(parseTarget('search=500')).toEqual(['search', 500]);
    expect(parseTarget('test_x[k=v]=12.5ms')).toEqual(['test_x[k=v]', 12.5]);
    expect(() => parseTarget('search')).toThrow(/<name>=<ms>/);
    expect(() => parseTarget('search=fast')).toThrow(/<name>=<ms>/);
  });

  it('formats numbers without locale', () => {
    expect(trimNum(20)).toBe('20');
    expect(trimNum(19.999999999)).toBe('20');
    expect(trimNum(12.345, 1)).toBe('12.3');
    expect(fmtMs(1234.56)).toBe('1234.6 ms');
    expect(fmtMs(12.345)).toBe('12.35 ms');
    expect(fmtMs(0.1234)).toBe('0.123 ms');
  });
});
