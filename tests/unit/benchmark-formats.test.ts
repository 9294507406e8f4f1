import { describe, expect, it } from 'vitest';
import { asBaselineFile, parseBenchFile } from '../../src/lib/benchmark-formats.js';
import { UsageError } from '../../src/lib/errors.js';

describe('parseBenchFile', () => {
  it('reads mcpctl baseline files', () => {
    const f = parseBenchFile(
      { format: 'mcpctl-baseline', version: 1, benchmarks: [{ name: 'a', stats: { n: 2, min: 1, mean: 1.5, p50: 1.5, p95: 1.95, max: 2 }, samples_ms: [1, 2], target_ms: 5 }] },
      'x.json',
    );
    expect(f.format).toBe('mcpctl');
    expect(f.benchmarks).toEqual([{ name: 'a', metrics: { min: 1, mean: 1.5, p50: 1.5, p95: 1.95, max: 2 }, samples: [1, 2], target: 5 }]);
  });

  it('reads pytest-benchmark JSON in milliseconds, named by fullname, with data as samples', () => {
    const f = parseBenchFile(
      {
        machine_info: {},
        benchmarks: [
          { name: 'test_a', fullname: 'tests/test_x.py::test_a', stats: { min: 0.001, max: 0.003, mean: 0.002, median: 0.0021, stddev: 0.0005, rounds: 3, data: [0.001, 0.002, 0.003] } },
          { name: 'test_b', stats: { min: 0.5, max: 0.5, mean: 0.5, median: 0.5 } },
        ],
      },
      'p.json',
    );
    expect(f.format).toBe('pytest-benchmark');
    expect(f.benchmarks[0]!.name).toBe('tests/test_x.py::test_a');
    expect(f.benchmarks[0]!.metrics.p50).toBeCloseTo(2.1, 12);
    // p95/p99 from the rounds, R type 7: h = 2 × 0.95 = 1.9 → 2 + 0.9 × (3 − 2)
    expect(f.benchmarks[0]!.metrics.p95).toBeCloseTo(2.9, 12);
    expect(f.benchmarks[0]!.metrics.p99).toBeCloseTo(2.98, 12);
    expect(f.benchmarks[0]!.samples).toEqual([1, 2, 3]);
    expect(f.benchmarks[1]).toEqual({ name: 'test_b', metrics: { min: 500, mean: 500, p50: 500, max: 500 }, samples: undefined });
    expect(f.benchmarks[1]!.metrics.p95).toBeUndefined();
  });

  it('reads latency summaries as an array, keyed under benchmarks, or keyed at the top level', () => {
    const entry = { latency_p50_ms: 10, latency_p95_ms: 20, latency_p99_ms: 30, target_threshold_ms: 25 };
    const arr = parseBenchFile({ benchmarks: [{ name: 'search', ...entry }] }, 'l.json');
    const keyed = parseBenchFile({ benchmarks: { search: entry } }, 'l.json');
    const top = parseBenchFile({ search: entry, generated_by: 'tool' }, 'l.json');
    for (const f of [arr, keyed, top]) {
      expect(f.format).toBe('latency-summary');
      expect(f.benchmarks).toEqual([{ name: 'search', metrics: { p50: 10, p95: 20, p99: 30 }, samples: undefined, target: 25 }]);
    }
  });

  it('names the file and the problem for malformed content', () => {
    const cases: [unknown, RegExp][] = [
      [[1, 2], /x\.json: not a benchmark file/],
      [{ hello: 'world' }, /x\.json: unknown benchmark format/],
      [{ benchmarks: [{ name: 'a', latency_p95_ms: 'fast' }] }, /latency_p95_ms is not a non-negative number/],
      [{ benchmarks: [{ name: 'a', latency_p95_ms: 1 }, { name: 'a', latency_p95_ms: 2 }] }, /"a" appears twice/],
      [{ format: 'mcpctl-baseline', benchmarks: {} }, /"benchmarks" is not an array/],
      [{ format: 'mcpctl-baseline', benchmarks: [{ name: 'a' }] }, /needs a name and stats/],
      [{ benchmarks: [{ stats: { min: 1 } }] }, /has no name/],
      [{ benchmarks: [{ name: 'a', latency_p95_ms: 1, samples_ms: 'x' }] }, /samples_ms is not an array/],
      [{ benchmarks: [{ latency_p95_ms: 1 }] }, /has no "name"/],
    ];
    for (const [doc, re] of cases) {
      let err: unknown;
      try {
        parseBenchFile(doc, 'x.json');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(doc)).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(re);
    }
  });

  it('asBaselineFile refuses foreign files', () => {
    expect(() => asBaselineFile({ benchmarks: [] }, 'b.json')).toThrow(/not an mcpctl baseline file/);
    expect(asBaselineFile({ format: 'mcpctl-baseline', version: 1, benchmarks: [] }, 'b.json').benchmarks).toEqual([]);
  });
});
