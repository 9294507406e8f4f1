/**
 * baseline compare against files written by the real pytest-benchmark (Debian's
 * python3-pytest-benchmark, importable by /usr/bin/python3), and its verdict against
 * pytest-benchmark's own `--benchmark-compare-fail mean:20%`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRegression, type CompareResult } from '../../src/core/baseline-compare.js';
import { quantileSorted } from '../../src/lib/stats.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';

const PYTHON = '/usr/bin/python3';
function unavailable(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import pytest, pytest_benchmark'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} cannot import pytest_benchmark (apt-get install python3-pytest-benchmark; .ci/run does)`;
  }
}
const reason = unavailable();
if (reason) console.warn(`skipping the pytest-benchmark tests: ${reason}`);

// Each benchmark sleeps DELAY_MS × its factor; 15 rounds of one call each, no calibration.
const TEST_FILE = `
import os, time
DELAY = float(os.environ["DELAY_MS"]) / 1000
def run(b, factor):
    b.pedantic(time.sleep, args=(DELAY * factor,), rounds=15, iterations=1, warmup_rounds=1)
def test_search(benchmark):
    run(benchmark, 1)
def test_index(benchmark):
    run(benchmark, 2)
`;

let p: TempProject;
beforeAll(async () => {
  p = await tempProject({ 'tests/perf/test_x.py': TEST_FILE });
});
afterAll(async () => {
  await p?.cleanup();
});

/** Runs pytest-benchmark; resolves to its exit code. */
function pytest(delayMs: number, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--benchmark-storage', `file://${path.join(p.dir, '.benchmarks')}`, ...args, 'tests/perf/test_x.py'],
      { cwd: p.dir, env: { ...p.env, DELAY_MS: String(delayMs), PYTHONDONTWRITEBYTECODE: '1' } },
      (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0),
    );
  });
}
const compare = async (args: string[]) => {
  const r = await runMain(['baseline', 'compare', ...args, '--json'], { cwd: p.dir, env: p.env });
  return { code: r.code, doc: JSON.parse(r.stdout) as CompareResult, stderr: r.stderr };
};

/** The one file under `dir` (recursively) whose name matches. */
async function findFile(dir: string, re: RegExp): Promise<string> {
  const all = (await fs.readdir(dir, { recursive: true })) as string[];
  const hits = all.filter((f) => re.test(f));
  expect(hits).toHaveLength(1);
  return path.join(dir, hits[0]!);
}

describe.skipIf(reason !== undefined)('baseline compare with real pytest-benchmark files', () => {
  it('p95 from --benchmark-save-data rounds; a slower run fails, as pytest-benchmark --benchmark-compare-fail mean:20% says', { timeout: 60_000 }, async () => {
    expect(await pytest(4, ['--benchmark-json=base.json', '--benchmark-save-data', '--benchmark-save=base'])).toBe(0);
    const doc = JSON.parse(await p.read('base.json')) as { benchmarks: { fullname: string; stats: { data: number[] } }[] };
    const search = doc.benchmarks.find((b) => b.fullname.endsWith('::test_search'))!;
    expect(search.stats.data).toHaveLength(15);

    // Same data, same rule: mcpctl's mean verdict is pytest-benchmark's own, whatever the machine's noise.
    for (const factor of [2, 1.1, 0.5]) {
      const own = await pytest(4 * factor, ['--benchmark-json=cur.json', '--benchmark-save-data', '--benchmark-compare=0001', '--benchmark-compare-fail=mean:20%']);
      const mean = await compare(['cur.json', '--baseline', 'base.json', '--metric', 'mean']);
      expect(mean.code, `factor ${factor}`).toBe(own === 0 ? 0 : 1);
      if (factor === 2) expect(own).not.toBe(0);
      // p95 from the rounds of each file, and the verdict the rule gives for those figures.
      const p95 = await compare(['cur.json', '--baseline', 'base.json']);
      const cur = JSON.parse(await p.read('cur.json')) as typeof doc;
      const p95Of = (d: typeof doc, name: string) => quantileSorted(d.benchmarks.find((b) => b.fullname === name)!.stats.data.map((s) => s * 1000).sort((a, b) => a - b), 0.95);
      for (const row of p95.doc.rows) {
        expect(row.baseline).toBeCloseTo(p95Of(doc, row.name), 9);
        expect(row.current).toBeCloseTo(p95Of(cur, row.name), 9);
        expect(row.status === 'fail' || row.status === 'warn').toBe(isRegression(row.baseline!, row.current!, 0.2));
      }
      expect(p95.doc.rows.map((r) => r.name).sort()).toEqual(doc.benchmarks.map((b) => b.fullname).sort());
      if (factor === 2) expect(p95.code).toBe(1);
    }
  });

  it('a file saved without --benchmark-save-data: p95 is a usage error naming the flag; mean still works', { timeout: 60_000 }, async () => {
    expect(await pytest(4, ['--benchmark-save=nodata'])).toBe(0);
    const saved = await findFile(path.join(p.dir, '.benchmarks'), /_nodata\.json$/);
    await fs.copyFile(saved, path.join(p.dir, 'nodata.json'));
    const r = await compare(['nodata.json', '--baseline', 'base.json']);
    expect(r.code).toBe(2);
    expect(JSON.stringify(r.doc)).toMatch(/--benchmark-save-data/);
    expect((await compare(['nodata.json', '--baseline', 'base.json', '--metric', 'mean'])).doc.common).toBe(2);
  });

  it('a latency summary keyed by test name shares nothing with node ids: exit 1, and --match last compares them', { timeout: 60_000 }, async () => {
    await fs.writeFile(path.join(p.dir, 'latency.json'), JSON.stringify({ test_search: { latency_p95_ms: 1e6 }, test_index: { latency_p95_ms: 1e6 } }));
    const vacuous = await compare(['latency.json', '--baseline', 'base.json', '--strict']);
    expect(vacuous.code).toBe(1);
    expect(vacuous.doc.common).toBe(0);
    const paired = await compare(['latency.json', '--baseline', 'base.json', '--match', 'last']);
    expect(paired.doc.common).toBe(2);
    expect(paired.code).toBe(1); // 1000 s is a regression on any machine
  });
});
