import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollect } from '../../src/commands/baseline/collect.js';
import { machineInfo } from '../../src/commands/baseline/machine.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject;
const node = process.execPath;
beforeAll(async () => {
  p = await tempProject();
});
afterAll(async () => {
  await p.cleanup();
});

const collect = (args: string[]) => runMain(['baseline', 'collect', ...args], { cwd: p.dir, env: p.env });
const SLEEP_120 = ['--', node, '-e', 'setTimeout(() => {}, 120)'];

describe('baseline collect', () => {
  it('times a sleeping command: plausible times, statistics, machine, time, no commit outside git', async () => {
    const r = await collect(['--name', 'sleep', '--runs', '4', '--warmup', '1', '--json', ...SLEEP_120]);
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(await p.read('baseline-results.json'));
    expect(file.format).toBe('mcpctl-baseline');
    const [e] = file.benchmarks;
    expect(e).toMatchObject({ name: 'sleep', source: 'collect', runs: 4, warmup: 1, failed_runs: 0, unit: 'ms', git_commit: null, shell: false });
    expect(e.command).toEqual([node, '-e', 'setTimeout(() => {}, 120)']);
    expect(e.samples_ms).toHaveLength(4);
    for (const ms of e.samples_ms) {
      expect(ms).toBeGreaterThanOrEqual(120);
      expect(ms).toBeLessThan(10_000);
    }
    const sorted = [...e.samples_ms].sort((a: number, b: number) => a - b);
    expect(e.stats.min).toBe(sorted[0]);
    expect(e.stats.max).toBe(sorted[3]);
    expect(e.stats.p50).toBeCloseTo((sorted[1] + sorted[2]) / 2, 2);
    expect(e.stats.n).toBe(4);
    expect(e.machine.cpu_count).toBeGreaterThan(0);
    expect(e.machine.node).toBe(process.version);
    expect(Date.parse(e.time)).not.toBeNaN();
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, added: ['sleep'], replaced: [] });
  });

  it('merges: replaces only the entry of the same name, default name is the command line, records the git commit', async () => {
    const git = promisify(execFile);
    await git('git', ['init', '-q'], { cwd: p.dir });
    await git('git', ['-c', 'user.email=t@e', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'x'], { cwd: p.dir });
    const head = (await git('git', ['rev-parse', 'HEAD'], { cwd: p.dir })).stdout.trim();
    const r = await collect(['--runs', '2', '--warmup', '0', '--', node, '-e', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 runs: min/);
    const again = await collect(['--runs', '3', '--warmup', '0', '--', node, '-e', '0']);
    expect(again.stdout).toMatch(/replaced 1/);
    const file = JSON.parse(await p.read('baseline-results.json'));
    expect(file.benchmarks.map((b: { name: string }) => b.name)).toEqual(['sleep', `${node} -e 0`]);
    expect(file.benchmarks[1]).toMatchObject({ runs: 3, git_commit: head });
    expect(file.benchmarks[0].runs).toBe(4);
  });

  it('stops on a failing run with exit 1 and writes nothing', async () => {
    const before = await p.read('baseline-results.json');
    const r = await collect(['--name', 'fails', '--runs', '3', '--', node, '-e', 'console.error("boom"); process.exit(3)']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/warmup 1 of 1: .* exited 3; nothing was written/);
    expect(r.stderr).toMatch(/boom/);
    expect(r.stderr).toMatch(/--ignore-failures/);
    expect(await p.read('baseline-results.json')).toBe(before);
  });

  it('--ignore-failures times failing runs and counts them', async () => {
    const r = await collect(['--name', 'flaky', '--runs', '3', '--warmup', '0', '--ignore-failures', '--', node, '-e', 'process.exit(1)']);
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(await p.read('baseline-results.json'));
    expect(file.benchmarks.find((b: { name: string }) => b.name === 'flaky')).toMatchObject({ runs: 3, failed_runs: 3 });
  });

  it('--shell runs through sh -c; without it, shell syntax is just an argument', async () => {
    const r = await collect(['--name', 'sh', '--runs', '1', '--warmup', '0', '--shell', '--out', 'sh.json', '--', 'test "$(echo a | tr a b)" = b']);
    expect(r.code, r.stderr).toBe(0);
    const missing = await collect(['--name', 'x', '--runs', '1', '--', 'no-such-program-mcpctl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/command not found/);
  });

  it('usage errors: no command, --import with a command, a foreign --out file (exit 2, file untouched)', async () => {
    expect((await collect(['--runs', '2'])).code).toBe(2);
    expect((await collect(['--runs', '0', '--', 'true'])).code).toBe(2);
    await p.write('pytest.json', JSON.stringify(PYTEST));
    expect((await collect(['--import', 'pytest.json', '--', 'true'])).code).toBe(2);
    expect((await collect(['--import', 'pytest.json', '--name', 'n'])).code).toBe(2);
    await p.write('foreign.json', '{"benchmarks": {"a": {"latency_p95_ms": 1}}}');
    const r = await collect(['--out', 'foreign.json', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/foreign\.json exists and is not an mcpctl baseline file/);
    expect(await p.read('foreign.json')).toBe('{"benchmarks": {"a": {"latency_p95_ms": 1}}}');
    await p.write('broken.json', '{');
    const b = await collect(['--out', 'broken.json', '--', 'true']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/broken\.json: not valid JSON/);
  });

  it('--import converts pytest-benchmark JSON (seconds → ms, data → samples)', async () => {
    await p.write('pytest.json', JSON.stringify(PYTEST));
    const r = await collect(['--import', 'pytest.json', '--out', 'imported.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(await p.read('imported.json'));
    const [a, b] = file.benchmarks;
    expect(a).toMatchObject({ name: 'tests/test_perf.py::test_search', source: 'pytest-benchmark', runs: 4, samples_ms: [10, 12, 11, 13], git_commit: 'abc123', time: '2025-01-02T03:04:05.000000' });
    expect(a.stats).toMatchObject({ n: 4, min: 10, max: 13, p50: 11.5, mean: 11.5, p95: 12.85 });
    expect(a.machine).toMatchObject({ cpu_model: 'Test CPU', cpu_count: 8, os: 'linux' });
    expect(b).toMatchObject({ name: 'test_index', runs: 5, samples_ms: [] });
    expect(b.stats).toEqual({ n: 5, min: 100, mean: 150, stddev: 20, p50: 140, max: 250 });
    await p.write('latency.json', '{"x": {"latency_p95_ms": 1}}');
    expect((await collect(['--import', 'latency.json'])).code).toBe(2);
    expect((await collect(['--import', 'missing.json'])).stderr).toMatch(/missing\.json: no such file/);
  });

  it('core: reports each run as an event, warmups first', async () => {
    const events: string[] = [];
    const r = await runCollect(
      { ctx: p.ctx(), machine: machineInfo(process.version), events: (e) => void (e.type === 'run' && events.push(`${e.phase}${e.index}/${e.total}`)) },
      { command: [node, '-e', '0'], runs: 2, warmup: 1, out: 'core.json' },
    );
    expect(events).toEqual(['warmup1/1', 'run1/2', 'run2/2']);
    expect(r.entries[0]!.samples_ms).toHaveLength(2);
  });
});

const PYTEST = {
  machine_info: { system: 'Linux', release: '6.1', machine: 'x86_64', cpu: { brand_raw: 'Test CPU', count: 8 } },
  commit_info: { id: 'abc123' },
  datetime: '2025-01-02T03:04:05.000000',
  benchmarks: [
    { name: 'test_search', fullname: 'tests/test_perf.py::test_search', stats: { min: 0.01, max: 0.013, mean: 0.0115, stddev: 0.0013, median: 0.0115, rounds: 4, data: [0.01, 0.012, 0.011, 0.013] } },
    { name: 'test_index', stats: { min: 0.1, max: 0.25, mean: 0.15, stddev: 0.02, median: 0.14, rounds: 5 } },
  ],
};
