import { describe, expect, it } from 'vitest';
import { erfc, mannWhitneyU, mean, normalSf, quantileSorted, sampleStddev, summarize } from '../../src/commands/baseline/stats.js';

describe('summarize (sample stddev n−1, percentiles R type 7)', () => {
  it('odd count: 1..5 shuffled', () => {
    // h = 4p: p50 → x[2] = 3; p95 → h = 3.8 → 4 + 0.8·1 = 4.8; p99 → h = 3.96 → 4.96.
    // stddev: Σ(x−3)² = 10, 10/4 = 2.5, √2.5.
    const s = summarize([3, 5, 1, 4, 2]);
    expect(s).toMatchObject({ n: 5, min: 1, mean: 3, p50: 3, max: 5 });
    expect(s.p95).toBeCloseTo(4.8, 12);
    expect(s.p99).toBeCloseTo(4.96, 12);
    expect(s.stddev).toBeCloseTo(Math.sqrt(2.5), 12);
  });

  it('even count: 10, 20, 30, 40', () => {
    // h = 3p: p50 → 1.5 → 25; p95 → 2.85 → 30 + 0.85·10 = 38.5; p99 → 2.97 → 39.7.
    // mean 25; Σ(x−25)² = 225+25+25+225 = 500; 500/3.
    const s = summarize([40, 10, 30, 20]);
    expect(s).toMatchObject({ n: 4, min: 10, mean: 25, p50: 25, max: 40 });
    expect(s.p95).toBeCloseTo(38.5, 12);
    expect(s.p99).toBeCloseTo(39.7, 12);
    expect(s.stddev).toBeCloseTo(Math.sqrt(500 / 3), 12);
  });

  it('one sample: every statistic is that sample, stddev 0', () => {
    expect(summarize([7.25])).toEqual({ n: 1, min: 7.25, mean: 7.25, stddev: 0, p50: 7.25, p95: 7.25, p99: 7.25, max: 7.25 });
  });

  it('identical samples give exactly that value and stddev 0 (no rounding drift)', () => {
    expect(summarize([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])).toEqual({ n: 7, min: 0.1, mean: 0.1, stddev: 0, p50: 0.1, p95: 0.1, p99: 0.1, max: 0.1 });
  });

  it('percentile of 20 values matches numpy.percentile (linear)', () => {
    const xs = Array.from({ length: 20 }, (_, i) => (i * 37) % 20); // 0..19 permuted
    const sorted = [...xs].sort((a, b) => a - b);
    // numpy.percentile(range(20), [95, 99]) = [18.05, 18.81]
    expect(quantileSorted(sorted, 0.95)).toBeCloseTo(18.05, 12);
    expect(quantileSorted(sorted, 0.99)).toBeCloseTo(18.81, 12);
  });

  it('refuses empty and non-finite input', () => {
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => summarize([1, NaN])).toThrow(/not a finite/);
    expect(() => quantileSorted([1], 1.5)).toThrow(RangeError);
    expect(() => mean([])).toThrow(RangeError);
    expect(sampleStddev([5])).toBe(0);
  });
});

describe('Mann-Whitney U (two-sided)', () => {
  // Reference values from SciPy 1.17: scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method=…).
  it('exact: complete separation, 3 vs 3 → U = 0, p = 2/20 = 0.1', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(r).toMatchObject({ u: 0, method: 'exact', significant: false });
    expect(r.p).toBeCloseTo(0.1, 12);
  });

  it('exact: complete separation, 5 vs 5 → p = 2/252', () => {
    const r = mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]);
    expect(r.u).toBe(25);
    expect(r.p).toBeCloseTo(2 / 252, 12); // 0.007936507936507936
    expect(r.significant).toBe(true);
  });

  it('exact: interleaved 5 vs 5 → U = 10, p = 0.6904761904761905', () => {
    const r = mannWhitneyU([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]);
    expect(r.u).toBe(10);
    expect(r.p).toBeCloseTo(0.6904761904761905, 12);
  });

  it('exact: 10 vs 10 separated → p = 2/C(20,10) = 1.0825088224469e-05', () => {
    const a = [10.1, 10.4, 9.8, 10.0, 10.2, 10.3, 9.9, 10.05, 10.15, 10.25];
    const b = [10.6, 10.9, 10.5, 11.0, 10.7, 10.8, 10.45, 10.65, 10.75, 10.95];
    const r = mannWhitneyU(a, b);
    expect(r.method).toBe('exact');
    expect(r.p / (2 / 184756)).toBeCloseTo(1, 9);
  });

  it('normal approximation with ties and continuity correction: SciPy asymptotic p = 0.11390314458853068', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 7]);
    expect(r).toMatchObject({ u: 6, method: 'normal' });
    expect(r.p).toBeCloseTo(0.11390314458853068, 10);
  });

  it('normal approximation for large samples: SciPy p = 0.757651740445802', () => {
    const a = Array.from({ length: 40 }, (_, i) => i * 1.5);
    const b = Array.from({ length: 30 }, (_, i) => i * 1.7 + 3.3);
    const r = mannWhitneyU(a, b);
    expect(r.u).toBe(626.5);
    expect(r.p).toBeCloseTo(0.757651740445802, 10);
  });

  it('identical samples are never significant', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5])).toMatchObject({ p: 1, significant: false });
    expect(mannWhitneyU([1], [2]).p).toBe(1);
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
  });

  it('erfc and the normal tail agree with known values', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 15);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 15);
    expect(erfc(5) / 1.5374597944280351e-12).toBeCloseTo(1, 12);
    expect(erfc(30)).toBe(0);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 12);
    expect(Number.isNaN(erfc(NaN))).toBe(true);
  });
});
