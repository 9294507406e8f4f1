/**
 * The benchmark files `baseline compare` reads, normalised to one shape (milliseconds):
 * - mcpctl's own file (`baseline collect`): `{ format: "mcpctl-baseline", version: 1, benchmarks: [...] }`;
 * - pytest-benchmark JSON: `{ machine_info, benchmarks: [{ name, fullname, stats: { min, mean, … (seconds), data? } }] }`;
 * - latency-summary JSON: a `benchmarks` array (entries with `name`) or an object keyed by name
 *   (top level or under `benchmarks`), entries carrying `latency_p50_ms`, `latency_p95_ms`, …
 *   and optionally `target_threshold_ms` and per-run `samples_ms`;
 * - the flat file of the old compare_baseline.py: `{ "indexing_p95": 48000, "search_p95": 320, … }`,
 *   keys `<name>_<metric>` (optionally `_ms`) holding milliseconds, `<name>_target_ms` a target.
 */
import { promises as fs } from 'node:fs';
import { UsageError } from './errors.js';
import { docPath } from './package-root.js';
import { quantileSorted, type Summary } from './stats.js';

export type BenchFormat = 'mcpctl' | 'pytest-benchmark' | 'latency-summary' | 'flat';
export type Metric = 'min' | 'mean' | 'p50' | 'p95' | 'p99' | 'max';
export const METRICS: readonly Metric[] = ['p50', 'p95', 'p99', 'mean', 'min', 'max'];

/** One benchmark as compare sees it; every figure in milliseconds. */
export interface Benchmark {
  name: string;
  metrics: Partial<Record<Metric, number>>;
  /** Per-run times, when the file carries them (enables the significance test). */
  samples?: number[];
  /** The benchmark's latency target (`target_threshold_ms`), if the file gives one. */
  target?: number;
}

export interface BenchFile {
  file: string;
  format: BenchFormat;
  benchmarks: Benchmark[];
}

/** Where and on what a collected benchmark ran. */
export interface MachineInfo {
  os: string;
  arch: string;
  os_release: string;
  os_version: string;
  cpu_model: string;
  cpu_count: number;
  memory_bytes: number;
  node: string;
}

/** One entry of mcpctl's baseline file. */
export interface BaselineEntry {
  name: string;
  source: 'collect' | 'pytest-benchmark';
  /** The command (argv) that was timed; with `shell`, run as `sh -c`. */
  command?: string[];
  shell?: boolean;
  runs: number;
  warmup?: number;
  /** Runs that exited non-zero and were kept because of --ignore-failures. */
  failed_runs?: number;
  unit: 'ms';
  /** Per-run wall times (ms, microsecond precision); empty when the source had none. */
  samples_ms: number[];
  stats: Omit<Summary, 'p95' | 'p99'> & { p95?: number; p99?: number };
  /** Optional latency target used by `compare --hybrid`. */
  target_ms?: number;
  machine?: Partial<MachineInfo>;
  /** ISO 8601 time of the collection. */
  time?: string;
  git_commit?: string | null;
}

export interface BaselineFile {
  format: 'mcpctl-baseline';
  version: 1;
  benchmarks: BaselineEntry[];
}

/** Reads and recognises a benchmark file; missing, unreadable, malformed or unknown → UsageError (exit 2). */
export async function readBenchFile(file: string): Promise<BenchFile> {
  return parseBenchFile(await readJsonFile(file), file);
}

/** Reads a JSON file, turning every failure into a UsageError that names the file. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read it (${code ?? (e as Error).message})`, {
      hint: code === 'ENOENT' ? 'check the path; `mcpctl baseline collect` writes baseline-results.json' : undefined,
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`, { hint: 'the file must hold one JSON document' });
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const LATENCY_KEYS: Record<Metric, string> = {
  min: 'latency_min_ms',
  mean: 'latency_mean_ms',
  p50: 'latency_p50_ms',
  p95: 'latency_p95_ms',
  p99: 'latency_p99_ms',
  max: 'latency_max_ms',
};
const hasLatency = (v: unknown) => isObj(v) && Object.values(LATENCY_KEYS).some((k) => k in v);

/** Recognises the format of parsed JSON and normalises it. */
export function parseBenchFile(doc: unknown, file: string): BenchFile {
  const bad = (why: string) => new UsageError(`${file}: ${why}`, { hint: `compare reads mcpctl baseline files, pytest-benchmark JSON, latency-summary JSON and the flat <name>_<metric> file (${docPath('baseline')})` });
  if (!isObj(doc)) throw bad('not a benchmark file (expected a JSON object)');
  const num = (v: unknown, what: string, optional = true): number | undefined => {
    if (v === undefined || v === null) {
      if (optional) return undefined;
      throw bad(`${what} is missing`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${what} is not a non-negative number: ${JSON.stringify(v)}`);
    return v;
  };
  const samples = (v: unknown, what: string, scale = 1): number[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw bad(`${what} is not an array`);
    const xs = v.map((x, i) => num(x, `${what}[${i}]`, false)! * scale);
    return xs.length ? xs : undefined;
  };
  const unique = (list: Benchmark[]) => {
    const seen = new Set<string>();
    for (const b of list) {
      if (seen.has(b.name)) throw bad(`benchmark "${b.name}" appears twice`);
      seen.add(b.name);
    }
    return list;
  };

  if (doc.format === 'mcpctl-baseline') {
    if (!Array.isArray(doc.benchmarks)) throw bad('"benchmarks" is not an array');
    const list = doc.benchmarks.map((e, i): Benchmark => {
      if (!isObj(e) || typeof e.name !== 'string' || !isObj(e.stats)) throw bad(`benchmarks[${i}] needs a name and stats`);
      const st = e.stats;
      const metrics: Benchmark['metrics'] = {};
      for (const m of METRICS) {
        const v = num(st[m], `"${e.name}" stats.${m}`);
        if (v !== undefined) metrics[m] = v;
      }
      return { name: e.name, metrics, samples: samples(e.samples_ms, `"${e.name}" samples_ms`), target: num(e.target_ms, `"${e.name}" target_ms`) };
    });
    return { file, format: 'mcpctl', benchmarks: unique(list) };
  }

  if (Array.isArray(doc.benchmarks) && doc.benchmarks.length > 0 && doc.benchmarks.every((b) => isObj(b) && isObj(b.stats))) {
    const list = (doc.benchmarks as Record<string, unknown>[]).map((b, i): Benchmark => {
      const name = typeof b.fullname === 'string' ? b.fullname : typeof b.name === 'string' ? b.name : undefined;
      if (!name) throw bad(`benchmarks[${i}] has no name`);
      const st = b.stats as Record<string, unknown>;
      const sec = (k: string) => {
        const v = num(st[k], `"${name}" stats.${k}`);
        return v === undefined ? undefined : v * 1000;
      };
      const data = samples(st.data, `"${name}" stats.data`, 1000);
      const metrics: Benchmark['metrics'] = {};
      const put = (m: Metric, v: number | undefined) => {
        if (v !== undefined) metrics[m] = v;
      };
      put('min', sec('min'));
      put('mean', sec('mean'));
      put('p50', sec('median'));
      put('max', sec('max'));
      // pytest-benchmark has no p95/p99 of its own; with --benchmark-save-data the rounds are there
      // to compute them the way `baseline collect` does (R type 7).
      if (data) {
        const sorted = [...data].sort((a, b) => a - b);
        put('p95', quantileSorted(sorted, 0.95));
        put('p99', quantileSorted(sorted, 0.99));
      }
      return { name, metrics, samples: data };
    });
    return { file, format: 'pytest-benchmark', benchmarks: unique(list) };
  }

  const latencyEntry = (name: string, e: Record<string, unknown>): Benchmark => {
    const metrics: Benchmark['metrics'] = {};
    for (const m of METRICS) {
      const v = num(e[LATENCY_KEYS[m]], `"${name}" ${LATENCY_KEYS[m]}`);
      if (v !== undefined) metrics[m] = v;
    }
    return { name, metrics, samples: samples(e.samples_ms, `"${name}" samples_ms`), target: num(e.target_threshold_ms, `"${name}" target_threshold_ms`) };
  };
  const fromArray = (arr: unknown[]) =>
    arr.map((e, i) => {
      if (!isObj(e) || typeof e.name !== 'string') throw bad(`benchmarks[${i}] has no "name"`);
      return latencyEntry(e.name, e);
    });
  const fromKeyed = (o: Record<string, unknown>) =>
    Object.entries(o)
      .filter(([, v]) => hasLatency(v))
      .map(([k, v]) => latencyEntry(k, v as Record<string, unknown>));
  if (Array.isArray(doc.benchmarks) && doc.benchmarks.some(hasLatency)) return { file, format: 'latency-summary', benchmarks: unique(fromArray(doc.benchmarks)) };
  if (isObj(doc.benchmarks) && Object.values(doc.benchmarks).some(hasLatency)) return { file, format: 'latency-summary', benchmarks: unique(fromKeyed(doc.benchmarks)) };
  if (Object.values(doc).some(hasLatency)) return { file, format: 'latency-summary', benchmarks: unique(fromKeyed(doc)) };
  if (!('benchmarks' in doc)) {
    const flat = parseFlat(doc, num);
    if (flat) return { file, format: 'flat', benchmarks: flat };
  }
  throw bad('unknown benchmark format');
}

/** `<name>_<metric>` keys of the flat format; `median`/`avg` are the old script's spellings of p50/mean. */
const FLAT_KEY = /^(.+?)_(p50|p95|p99|mean|min|max|median|avg|target)(?:_ms)?$/;
const FLAT_METRIC: Record<string, Metric | 'target'> = { median: 'p50', avg: 'mean', target: 'target' };

/**
 * The old compare_baseline.py's flat file, or undefined when no key has that shape. Keys of
 * another shape whose values are not numbers (a timestamp, a commit) are ignored.
 */
function parseFlat(doc: Record<string, unknown>, num: (v: unknown, what: string) => number | undefined): Benchmark[] | undefined {
  const byName = new Map<string, Benchmark>();
  for (const [key, value] of Object.entries(doc)) {
    const m = FLAT_KEY.exec(key);
    if (!m || typeof value !== 'number') continue;
    const name = m[1]!;
    const metric = FLAT_METRIC[m[2]!] ?? (m[2] as Metric);
    const b = byName.get(name) ?? { name, metrics: {} };
    const v = num(value, key)!;
    if (metric === 'target') b.target = v;
    else b.metrics[metric] = v;
    byName.set(name, b);
  }
  const list = [...byName.values()].filter((b) => Object.keys(b.metrics).length > 0);
  return list.length ? list : undefined;
}

/** Parses an existing mcpctl baseline file for merging (anything else: UsageError naming it). */
export function asBaselineFile(doc: unknown, file: string): BaselineFile {
  if (!isObj(doc) || doc.format !== 'mcpctl-baseline' || !Array.isArray(doc.benchmarks)) {
    throw new UsageError(`${file} exists and is not an mcpctl baseline file; not overwriting it`, { hint: 'choose another --out' });
  }
  parseBenchFile(doc, file); // validates every entry
  return { format: 'mcpctl-baseline', version: 1, benchmarks: doc.benchmarks as BaselineEntry[] };
}
