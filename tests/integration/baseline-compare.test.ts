import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCompare, type CompareResult } from '../../src/core/baseline-compare.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject;
beforeAll(async () => {
  p = await tempProject();
});
afterAll(async () => {
  await p.cleanup();
});

const compare = (args: string[]) => runMain(['baseline', 'compare', ...args], { cwd: p.dir, env: p.env });
const json = async (args: string[]) => {
  const r = await compare([...args, '--json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as CompareResult, stderr: r.stderr };
};
const row = (doc: CompareResult, name: string) => doc.rows.find((r) => r.name === name)!;

/** An mcpctl baseline file with given p95 values (and optional samples). */
function mcpctl(entries: Record<string, { p95: number; samples?: number[]; target?: number }>): string {
  return JSON.stringify({
    format: 'mcpctl-baseline',
    version: 1,
    benchmarks: Object.entries(entries).map(([name, e]) => ({
      name,
      source: 'collect',
      runs: e.samples?.length ?? 1,
      unit: 'ms',
      samples_ms: e.samples ?? [],
      stats: { n: 1, min: e.p95, mean: e.p95, stddev: 0, p50: e.p95, p95: e.p95, p99: e.p95, max: e.p95 },
      ...(e.target ? { target_ms: e.target } : {}),
    })),
  });
}
const latency = (entries: Record<string, { p95: number; target?: number }>) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { latency_p50_ms: v.p95 / 2, latency_p95_ms: v.p95, ...(v.target ? { target_threshold_ms: v.target } : {}) }])),
  );
const pytest = (entries: Record<string, number[]>) =>
  JSON.stringify({
    machine_info: {},
    benchmarks: Object.entries(entries).map(([name, data]) => {
      const s = [...data].sort((a, b) => a - b);
      return { name, fullname: `tests/test_perf.py::${name}`, stats: { min: s[0], max: s.at(-1), mean: s.reduce((a, b) => a + b, 0) / s.length, median: s[s.length >> 1], data } };
    }),
  });

describe('baseline compare', () => {
  it('mcpctl files: exactly at the threshold passes, just over fails (exit 1); one-sided benchmarks are listed, not failed', async () => {
    await p.write('baseline-results.json', mcpctl({ at: { p95: 100 }, over: { p95: 100 }, faster: { p95: 100 }, fp: { p95: 1.1 }, gone: { p95: 5 } }));
    await p.write('cur.json', mcpctl({ at: { p95: 120 }, over: { p95: 120.01 }, faster: { p95: 50 }, fp: { p95: 1.32 }, fresh: { p95: 9 } }));
    const { code, doc } = await json(['cur.json']);
    expect(code).toBe(1);
    expect(doc.ok).toBe(false);
    expect(row(doc, 'at')).toMatchObject({ status: 'pass', baseline: 100, current: 120, allowed_pct: 20 });
    expect(row(doc, 'at').change_pct).toBeCloseTo(20, 9);
    expect(row(doc, 'fp').status).toBe('pass');
    expect(row(doc, 'over').status).toBe('fail');
    expect(row(doc, 'faster')).toMatchObject({ status: 'pass', message: 'faster' });
    expect(row(doc, 'gone')).toMatchObject({ status: 'baseline-only', current: null });
    expect(row(doc, 'fresh')).toMatchObject({ status: 'current-only', baseline: null });
    expect(doc.summary).toEqual({ pass: 3, warn: 0, fail: 1, 'baseline-only': 1, 'current-only': 1 });
    expect(doc.baseline.format).toBe('mcpctl');

    const ratio = await json(['cur.json', '--max-regression', '1.2']);
    expect(row(ratio.doc, 'at').status).toBe('pass');
    const loose = await json(['cur.json', '--max-regression', '25%']);
    expect(loose.code).toBe(0);
  });

  it('prints the table of the contract', async () => {
    const r = await compare(['cur.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/benchmark\s+baseline\s+current\s+change\s+allowed\s+status\s+significance/);
    expect(r.stdout).toMatch(/^over\s+100\.0 ms\s+120\.0 ms\s+\+20%\s+20%\s+fail/m);
    expect(r.stdout).toMatch(/^gone\s+5\.00 ms\s+—\s+—\s+20%\s+baseline-only/m);
    expect(r.stdout).toMatch(/fail over: regression: 20% slower \(allowed 20%\)/);
    expect(r.stdout).toMatch(/✗ 3 passed, 0 warnings, 1 failed, 2 on one side only/);
  });

  it('latency-summary files with --hybrid: over the allowance but within target warns, over target fails', async () => {
    await p.write('lat-base.json', latency({ within: { p95: 100, target: 200 }, beyond: { p95: 100, target: 110 }, untargeted: { p95: 100 }, cli: { p95: 100 } }));
    await p.write('lat-cur.json', latency({ within: { p95: 150 }, beyond: { p95: 150 }, untargeted: { p95: 150 }, cli: { p95: 150 } }));
    const { code, doc } = await json(['lat-cur.json', '--baseline', 'lat-base.json', '--hybrid', '--target', 'cli=160', '--target', 'nosuch=1']);
    expect(code).toBe(1);
    expect(doc.current.format).toBe('latency-summary');
    expect(row(doc, 'within')).toMatchObject({ status: 'warn', target_ms: 200 });
    expect(row(doc, 'beyond')).toMatchObject({ status: 'fail', target_ms: 110 });
    expect(row(doc, 'untargeted').status).toBe('fail');
    expect(row(doc, 'untargeted').message).toMatch(/no target/);
    expect(row(doc, 'cli')).toMatchObject({ status: 'warn', target_ms: 160 });
    expect(doc.notes).toEqual(['--target nosuch: no benchmark of that name']);

    await p.write('lat-cur2.json', latency({ within: { p95: 150 } }));
    const onlyWarn = await json(['lat-cur2.json', '--baseline', 'lat-base.json', '--hybrid']);
    expect(onlyWarn.code).toBe(0);
    const strict = await json(['lat-cur2.json', '--baseline', 'lat-base.json', '--hybrid', '--strict']);
    expect(strict.code).toBe(1);
    expect(row(strict.doc, 'within').status).toBe('fail');
    const plain = await json(['lat-cur2.json', '--baseline', 'lat-base.json', '--metric', 'p50']);
    expect(row(plain.doc, 'within')).toMatchObject({ status: 'fail', baseline: 50, current: 75 });
  });

  it('pytest-benchmark files with samples: a significant regression fails, a noisy one warns (fails with --strict)', async () => {
    const base = [10, 10.2, 10.4, 10.1, 10.3, 9.9, 10.05, 10.15];
    await p.write('pt-base.json', pytest({ clear: base.map((x) => x / 1000), noisy: [10, 30, 11, 31, 12, 32, 13].map((x) => x / 1000) }));
    await p.write('pt-cur.json', pytest({ clear: base.map((x) => (x * 1.5) / 1000), noisy: [10.5, 30.5, 11.5, 31.5, 12.5, 32.5, 16].map((x) => x / 1000) }));
    const { code, doc } = await json(['pt-cur.json', '--baseline', 'pt-base.json', '--metric', 'p50']);
    expect(doc.baseline.format).toBe('pytest-benchmark');
    const clear = row(doc, 'tests/test_perf.py::clear');
    expect(clear.status).toBe('fail');
    expect(clear.significance).toMatchObject({ test: 'mann-whitney-u', method: 'exact', significant: true });
    expect(clear.significance!.p).toBeCloseTo(2 / 12870, 12); // complete separation, 8 vs 8
    const noisy = row(doc, 'tests/test_perf.py::noisy');
    expect(noisy.change_pct).toBeGreaterThan(20);
    expect(noisy.status).toBe('warn');
    expect(noisy.significance!.significant).toBe(false);
    expect(code).toBe(1);
    const strict = await json(['pt-cur.json', '--baseline', 'pt-base.json', '--metric', 'p50', '--strict']);
    expect(row(strict.doc, 'tests/test_perf.py::noisy').status).toBe('fail');
  });

  it('pytest-benchmark with stats.data: p95 and p99 come from the rounds (R type 7); without data the error names --benchmark-save-data', async () => {
    const r = await json(['pt-cur.json', '--baseline', 'pt-base.json']);
    const clear = row(r.doc, 'tests/test_perf.py::clear');
    const sorted = [10, 10.2, 10.4, 10.1, 10.3, 9.9, 10.05, 10.15].sort((a, b) => a - b);
    // h = 7 × 0.95 = 6.65 → x6 + 0.65 (x7 − x6)
    expect(clear.baseline).toBeCloseTo(sorted[6]! + 0.65 * (sorted[7]! - sorted[6]!), 9);
    expect(clear.status).toBe('fail');
    const nodata = (f: string) => JSON.parse(f, (k, v) => (k === 'data' ? undefined : v));
    await p.write('pt-nodata.json', JSON.stringify(nodata(await p.read('pt-base.json'))));
    const e = await compare(['pt-cur.json', '--baseline', 'pt-nodata.json']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/pt-nodata\.json: pytest-benchmark saved no per-round data \(stats.data\), so p95 cannot be computed/);
    expect(e.stderr).toMatch(/--benchmark-save-data/);
    expect((await json(['pt-cur.json', '--baseline', 'pt-nodata.json', '--metric', 'mean'])).doc.ok).toBe(false);
  });

  it('a metric that no common benchmark carries is a usage error naming the usable ones', async () => {
    await p.write('lat-p50.json', JSON.stringify({ a: { latency_p50_ms: 1 } }));
    await p.write('lat-p99.json', JSON.stringify({ a: { latency_p50_ms: 1, latency_p99_ms: 2 } }));
    const r = await compare(['lat-p99.json', '--baseline', 'lat-p50.json', '--metric', 'p99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no benchmark has p99 in both/);
    expect(r.stderr).toMatch(/--metric p50/);
  });

  it('nothing in common is a failed gate (exit 1) naming both sides and suggesting --match; --match last and --map pair them', async () => {
    await p.write('pt-names.json', pytest({ test_search: [0.01, 0.011, 0.012], test_index: [0.1, 0.11, 0.12] }));
    await p.write('lat-names.json', latency({ test_search: { p95: 11.9 }, test_index: { p95: 500 } }));
    for (const strict of [[], ['--strict']]) {
      const r = await compare(['lat-names.json', '--baseline', 'pt-names.json', ...strict]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/no benchmark is in both files: nothing was compared/);
      expect(r.stdout).toMatch(/baseline \S*pt-names\.json: tests\/test_perf\.py::test_search, tests\/test_perf\.py::test_index/);
      expect(r.stdout).toMatch(/current {2}\S*lat-names\.json: test_search, test_index/);
      expect(r.stderr).toMatch(/--match last pairs 2 of them/);
    }
    const j = await json(['lat-names.json', '--baseline', 'pt-names.json']);
    expect(j.doc).toMatchObject({ ok: false, common: 0, unmatched: { current: ['test_search', 'test_index'] } });

    const last = await json(['lat-names.json', '--baseline', 'pt-names.json', '--match', 'last']);
    expect(last.doc.common).toBe(2);
    expect(row(last.doc, 'test_search')).toMatchObject({ status: 'pass', baseline_name: 'tests/test_perf.py::test_search' });
    expect(row(last.doc, 'test_index').status).toBe('fail');
    expect(last.code).toBe(1);

    const mapped = await json(['lat-names.json', '--baseline', 'pt-names.json', '--map', 'tests/test_perf.py::test_search=test_search']);
    expect(mapped.doc.common).toBe(1);
    expect(row(mapped.doc, 'test_search').status).toBe('pass');
    expect(mapped.code).toBe(0); // one-sided ones are listed, not failed …
    const strict = await json(['lat-names.json', '--baseline', 'pt-names.json', '--map', 'tests/test_perf.py::test_search=test_search', '--strict']);
    expect(strict.code).toBe(1); // … unless --strict
    expect(row(strict.doc, 'test_index')).toMatchObject({ status: 'fail', message: 'new: only in the current results (--strict)' });

    await p.write('empty.json', JSON.stringify({ format: 'mcpctl-baseline', version: 1, benchmarks: [] }));
    expect((await compare(['empty.json', '--baseline', 'empty.json'])).code).toBe(1);
    await p.write('clash.json', pytest({ 'a[1]': [0.01], b: [0.01] }).replace('"fullname":"tests/test_perf.py::b"', '"fullname":"other/test_perf.py::a[1]"'));
    const clash = await compare(['clash.json', '--baseline', 'clash.json', '--match', 'last']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/would both be compared as "a\[1\]"/);
  });

  it('reads the flat <name>_<metric> file of the old compare_baseline.py', async () => {
    await p.write('flat-base.json', JSON.stringify({ indexing_p95: 48000, search_p95: 320, search_p50: 100, search_target_ms: 500, timestamp: '2025-10-01' }));
    await p.write('flat-cur.json', JSON.stringify({ indexing_p95: 60000, search_p95: 330 }));
    const { code, doc } = await json(['flat-cur.json', '--baseline', 'flat-base.json']);
    expect(doc.baseline.format).toBe('flat');
    expect(row(doc, 'search')).toMatchObject({ status: 'pass', baseline: 320, current: 330, target_ms: 500 });
    expect(row(doc, 'indexing')).toMatchObject({ status: 'fail', baseline: 48000, current: 60000 });
    expect(code).toBe(1);
    await p.write('flat-str.json', JSON.stringify({ search_p95: '320' }));
    expect((await compare(['flat-str.json'])).stderr).toMatch(/unknown benchmark format/);
  });

  it('mixed formats compare by name; a metric missing on one side warns', async () => {
    await p.write('mix-base.json', mcpctl({ search: { p95: 100 }, both: { p95: 10 } }));
    await p.write(
      'mix-cur.json',
      JSON.stringify({ benchmarks: [{ name: 'search', latency_p95_ms: 90 }, { name: 'both', latency_p95_ms: 10, latency_p99_ms: 10 }, { name: 'other', latency_p50_ms: 1 }] }),
    );
    const { code, doc } = await json(['mix-cur.json', '--baseline', 'mix-base.json']);
    expect(code).toBe(0);
    expect(row(doc, 'search')).toMatchObject({ status: 'pass', current: 90 });
    const r = await runCompare({ ctx: p.ctx() }, { current: 'mix-base.json', baseline: 'mix-cur.json', metric: 'p99' });
    expect(row(r, 'search')).toMatchObject({ status: 'warn', baseline: null, current: 100 });
    expect(row(r, 'search').message).toMatch(/no p99 in the baseline/);
    expect(row(r, 'both').status).toBe('pass');
    expect(r.ok).toBe(true);
  });

  it('malformed JSON, a missing file, an unknown format and bad options exit 2 with a message naming the file', async () => {
    await p.write('broken.json', '{"benchmarks": [');
    await p.write('unknown.json', '{"hello": "world"}');
    const broken = await compare(['broken.json']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json: not valid JSON/);
    const missing = await compare(['cur.json', '--baseline', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file/);
    const unknown = await json(['unknown.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.doc).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect((unknown.doc as unknown as { error: { message: string } }).error.message).toMatch(/unknown\.json: unknown benchmark format/);
    expect((await compare(['cur.json', '--max-regression', '0.2'])).stderr).toMatch(/ambiguous/);
    expect((await compare(['cur.json', '--metric', 'p42'])).code).toBe(2);
    expect((await compare(['cur.json', '--target', 'x'])).code).toBe(2);
    expect((await compare([])).code).toBe(2);
  });
});
