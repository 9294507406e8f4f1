import path from 'node:path';
import { METRICS, readBenchFile, type BenchFormat, type Metric } from '../lib/benchmark-formats.js';
import type { Context } from '../lib/context.js';
import { UsageError } from '../lib/errors.js';
import { mannWhitneyU } from '../lib/stats.js';
import { MATCH_RULES, keyBenchmarks, pairsUnder, parseMap, type Keyed, type MatchRule } from './baseline-match.js';

/** Options of `mcpctl baseline compare`. */
export interface CompareOptions {
  /** The new results (relative to ctx.cwd). */
  current: string;
  /** The reference results (default baseline-results.json). */
  baseline?: string;
  /** `20%` or a ratio `1.2` (the same thing); default 20%. */
  maxRegression?: string;
  metric?: Metric;
  /** Fail a regression only when it also exceeds its target; otherwise warn. */
  hybrid?: boolean;
  /** `name=ms` targets, overriding the files' `target_threshold_ms`. */
  targets?: string[];
  /** Warnings fail too, and so do benchmarks on one side only. */
  strict?: boolean;
  /** How names pair across the files (default exact). */
  match?: MatchRule;
  /** `name=name`: compare the benchmark named on the left (in either file) under the right-hand name. */
  maps?: string[];
}

export interface CompareDeps {
  ctx: Pick<Context, 'cwd'>;
}

/** Status of one benchmark: one-sided benchmarks are listed, never failed. */
export type RowStatus = 'pass' | 'warn' | 'fail' | 'baseline-only' | 'current-only';

export interface Significance {
  test: 'mann-whitney-u';
  method: 'exact' | 'normal';
  u: number;
  p: number;
  alpha: number;
  significant: boolean;
}

export interface CompareRow {
  /** The name both sides are compared under (after --match and --map). */
  name: string;
  /** The names in the files, when they differ from `name`. */
  baseline_name?: string;
  current_name?: string;
  /** The chosen metric in ms (null: absent on that side). */
  baseline: number | null;
  current: number | null;
  /** (current ÷ baseline − 1) × 100; null when either side is missing or the baseline is 0. */
  change_pct: number | null;
  allowed_pct: number;
  target_ms: number | null;
  status: RowStatus;
  /** Mann-Whitney U on the per-run samples, when both sides carry at least two. */
  significance: Significance | null;
  message: string;
}

export interface CompareResult {
  ok: boolean;
  metric: Metric;
  max_regression: { input: string; percent: number };
  hybrid: boolean;
  strict: boolean;
  baseline: { file: string; format: BenchFormat };
  current: { file: string; format: BenchFormat };
  match: MatchRule;
  rows: CompareRow[];
  summary: Record<RowStatus, number>;
  /** Benchmarks present on both sides; 0 fails the gate (nothing was compared). */
  common: number;
  /** Names on one side only, as written in each file. */
  unmatched: { baseline: string[]; current: string[] };
  /** Remarks about the inputs (unused targets and the like). */
  notes: string[];
}

export const DEFAULT_BASELINE = 'baseline-results.json';
export const DEFAULT_MAX_REGRESSION = '20%';
/** Relative tolerance of the threshold test: values within one part in 10⁹ of the limit count as at it. */
export const THRESHOLD_EPSILON = 1e-9;
const ALPHA = 0.05;

/**
 * Parses `--max-regression` into a fraction: `20%` → 0.2 and the ratio `1.2` → 0.2.
 * A bare number below 1 (`0.2`) is ambiguous — 20 % or a ratio meaning "20 % faster"? — and refused.
 */
export function parseMaxRegression(input: string): number {
  const s = input.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (pct) return Number(pct[1]) / 100;
  if (/^\d+(?:\.\d+)?$/.test(s)) {
    const ratio = Number(s);
    if (ratio < 1) {
      throw new UsageError(`--max-regression ${input} is ambiguous`, {
        hint: `write a percentage (${trimNum(ratio * 100)}%) or a ratio of at least 1 (${trimNum(1 + ratio)} means ${trimNum(ratio * 100)}% slower)`,
      });
    }
    // Rounding to 12 decimals removes the binary noise of `ratio − 1` (1.2 − 1 = 0.19999999999999996).
    return Math.round((ratio - 1) * 1e12) / 1e12;
  }
  throw new UsageError(`--max-regression takes a percentage like 20% or a ratio like 1.2, not ${JSON.stringify(input)}`);
}

/** True when `current` exceeds `baseline` by strictly more than `allowed` (a fraction), with FP tolerance. */
export function isRegression(baseline: number, current: number, allowed: number): boolean {
  if (baseline === 0) return current > 0;
  const limit = baseline * (1 + allowed);
  return current > limit * (1 + THRESHOLD_EPSILON);
}

/** Parses `name=ms` (the name may itself contain `=`: the last one separates). */
export function parseTarget(spec: string): [string, number] {
  const i = spec.lastIndexOf('=');
  const name = i > 0 ? spec.slice(0, i) : '';
  const ms = i > 0 ? spec.slice(i + 1).trim().replace(/ms$/, '') : '';
  if (!name || !/^\d+(?:\.\d+)?$/.test(ms)) throw new UsageError(`--target takes <name>=<ms>, not ${JSON.stringify(spec)}`, { hint: 'for example --target search_code=500' });
  return [name, Number(ms)];
}

export async function runCompare(deps: CompareDeps, options: CompareOptions): Promise<CompareResult> {
  const metric = options.metric ?? 'p95';
  if (!METRICS.includes(metric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}`);
  const maxInput = options.maxRegression ?? DEFAULT_MAX_REGRESSION;
  const allowed = parseMaxRegression(maxInput);
  const allowedPct = Math.round(allowed * 100 * 1e9) / 1e9;
  const targets = new Map((options.targets ?? []).map(parseTarget));
  const resolve = (f: string) => path.resolve(deps.ctx.cwd, f);
  const [base, cur] = await Promise.all([readBenchFile(resolve(options.baseline ?? DEFAULT_BASELINE)), readBenchFile(resolve(options.current))]);

  const match = options.match ?? 'exact';
  if (!MATCH_RULES.includes(match)) throw new UsageError(`--match must be one of ${MATCH_RULES.join(', ')}`);
  const maps = new Map((options.maps ?? []).map(parseMap));
  const baseKeyed = keyBenchmarks(base.benchmarks, match, maps, base.file);
  const curKeyed = keyBenchmarks(cur.benchmarks, match, maps, cur.file);
  const curByKey = new Map(curKeyed.map((k) => [k.key, k]));
  const baseKeys = new Set(baseKeyed.map((k) => k.key));
  const notes: string[] = [];
  const allNames = new Set([...base.benchmarks, ...cur.benchmarks].map((b) => b.name));
  const allKeys = new Set([...baseKeys, ...curByKey.keys()]);
  for (const name of targets.keys()) if (!allKeys.has(name) && !allNames.has(name)) notes.push(`--target ${name}: no benchmark of that name`);
  for (const name of maps.keys()) if (!allNames.has(name)) notes.push(`--map ${name}: no benchmark of that name`);
  const targetOf = (k: Keyed) => targets.get(k.key) ?? targets.get(k.bench.name);

  const rows: CompareRow[] = [];
  const oneSided = ({ key, bench: b }: Keyed, side: 'baseline' | 'current'): CompareRow => ({
    name: key,
    ...(key !== b.name ? { [`${side}_name`]: b.name } : {}),
    baseline: side === 'baseline' ? (b.metrics[metric] ?? null) : null,
    current: side === 'current' ? (b.metrics[metric] ?? null) : null,
    change_pct: null,
    allowed_pct: allowedPct,
    target_ms: targetOf({ key, bench: b }) ?? b.target ?? null,
    // A gate that must see every benchmark (--strict) fails on one that vanished or appeared.
    status: options.strict ? 'fail' : side === 'baseline' ? 'baseline-only' : 'current-only',
    significance: null,
    message: (side === 'baseline' ? 'only in the baseline' : 'new: only in the current results') + (options.strict ? ' (--strict)' : ''),
  });
  const pairs: [Keyed, Keyed][] = [];
  for (const b of baseKeyed) {
    const c = curByKey.get(b.key);
    if (c) pairs.push([b, c]);
  }
  const missingData = (f: typeof base) => f.format === 'pytest-benchmark' && (metric === 'p95' || metric === 'p99') && pairs.some(([b, c]) => (f === base ? b : c).bench.samples === undefined);
  for (const f of [base, cur]) {
    if (missingData(f)) {
      throw new UsageError(`${f.file}: pytest-benchmark saved no per-round data (stats.data), so ${metric} cannot be computed`, {
        hint: `save with --benchmark-save-data (--benchmark-json files carry the rounds), or compare --metric p50|mean|min|max`,
      });
    }
  }
  let comparable = 0;
  for (const b of baseKeyed) {
    const c = curByKey.get(b.key);
    if (!c) {
      rows.push(oneSided(b, 'baseline'));
      continue;
    }
    const row = compareOne(b, c);
    if (row.baseline !== null && row.current !== null) comparable++;
    rows.push(row);
  }
  for (const c of curKeyed) if (!baseKeys.has(c.key)) rows.push(oneSided(c, 'current'));
  if (pairs.length > 0 && comparable === 0) {
    const has = (f: typeof base) => METRICS.filter((m) => f.benchmarks.some((b) => b.metrics[m] !== undefined));
    const both = has(base).filter((m) => has(cur).includes(m));
    throw new UsageError(`no benchmark has ${metric} in both ${base.file} and ${cur.file}`, {
      hint: both.length ? `use --metric ${both.join('|')}` : 'the two files share no metric',
    });
  }
  const unmatched = {
    baseline: baseKeyed.filter((k) => !curByKey.has(k.key)).map((k) => k.bench.name),
    current: curKeyed.filter((k) => !baseKeys.has(k.key)).map((k) => k.bench.name),
  };
  if (pairs.length === 0) {
    const byLast = match === 'exact' ? pairsUnder(base.benchmarks, cur.benchmarks, 'last') : 0;
    notes.push(
      'no benchmark is in both files, so nothing was compared: ' +
        (byLast > 0 ? `--match last pairs ${byLast} of them by the last part of their names` : 'pair differently named ones with --map <baseline name>=<current name>'),
    );
  }

  function compareOne(bk: Keyed, ck: Keyed): CompareRow {
    const [b, c] = [bk.bench, ck.bench];
    const bv = b.metrics[metric] ?? null;
    const cv = c.metrics[metric] ?? null;
    const target = targetOf(bk) ?? targetOf(ck) ?? c.target ?? b.target ?? null;
    const row: CompareRow = { name: bk.key, baseline: bv, current: cv, change_pct: null, allowed_pct: allowedPct, target_ms: target, status: 'pass', significance: null, message: '' };
    if (b.name !== bk.key) row.baseline_name = b.name;
    if (c.name !== ck.key) row.current_name = c.name;
    if (bv === null || cv === null) {
      row.status = options.strict ? 'fail' : 'warn';
      row.message = `no ${metric} in the ${bv === null ? 'baseline' : 'current results'}: not checked`;
      return row;
    }
    if (bv > 0) row.change_pct = (cv / bv - 1) * 100;
    if (b.samples && c.samples && b.samples.length >= 2 && c.samples.length >= 2) {
      const mw = mannWhitneyU(c.samples, b.samples, ALPHA);
      row.significance = { test: 'mann-whitney-u', method: mw.method, u: mw.u, p: mw.p, alpha: ALPHA, significant: mw.significant };
    }
    if (!isRegression(bv, cv, allowed)) {
      row.message = cv < bv ? 'faster' : 'within the allowed regression';
      return row;
    }
    const over = bv === 0 ? `from 0 to ${fmtMs(cv)}` : `${trimNum(row.change_pct!, 1)}% slower (allowed ${trimNum(allowedPct)}%)`;
    let status: RowStatus = 'fail';
    let why = `regression: ${over}`;
    if (options.hybrid) {
      if (target === null) why += '; no target to fall back on';
      else if (cv <= target) {
        status = 'warn';
        why += `, but within its target of ${fmtMs(target)}`;
      } else why += ` and over its target of ${fmtMs(target)}`;
    }
    if (status === 'fail' && row.significance && !row.significance.significant) {
      status = 'warn';
      why += `, but not significant (Mann-Whitney p = ${row.significance.p.toFixed(3)})`;
    }
    if (status === 'warn' && options.strict) {
      status = 'fail';
      why += ' (--strict)';
    }
    row.status = status;
    row.message = why;
    return row;
  }

  const summary: Record<RowStatus, number> = { pass: 0, warn: 0, fail: 0, 'baseline-only': 0, 'current-only': 0 };
  for (const r of rows) summary[r.status]++;
  return {
    ok: summary.fail === 0 && pairs.length > 0,
    metric,
    max_regression: { input: maxInput, percent: allowedPct },
    hybrid: options.hybrid === true,
    strict: options.strict === true,
    baseline: { file: base.file, format: base.format },
    current: { file: cur.file, format: cur.format },
    match,
    rows,
    summary,
    common: pairs.length,
    unmatched,
    notes,
  };
}

/** A number without trailing zeros, at most `digits` decimals (locale-independent). */
export function trimNum(x: number, digits = 2): string {
  return String(Number(x.toFixed(digits)));
}

export function fmtMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3)} ms`;
}
