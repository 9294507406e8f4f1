/** One row of `baseline compare`: a pair of benchmarks judged, or one found on one side only. */
import type { Metric } from './formats.js';
import type { Keyed } from './match.js';
import { mannWhitneyU } from './stats.js';
import type { CompareRow, RowStatus } from './compare.js';

const ALPHA = 0.05;
/** Relative tolerance of the threshold test: values within one part in 10⁹ of the limit count as at it. */
export const THRESHOLD_EPSILON = 1e-9;

/** True when `current` exceeds `baseline` by strictly more than `allowed` (a fraction), with FP tolerance. */
export function isRegression(baseline: number, current: number, allowed: number): boolean {
  if (baseline === 0) return current > 0;
  const limit = baseline * (1 + allowed);
  return current > limit * (1 + THRESHOLD_EPSILON);
}

/** A number without trailing zeros, at most `digits` decimals (locale-independent). */
export function trimNum(x: number, digits = 2): string {
  return String(Number(x.toFixed(digits)));
}

export function fmtMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3)} ms`;
}

/** How rows are judged: the options of one compare run. */
export interface RowRule {
  metric: Metric;
  /** Allowed regression as a fraction (0.2), and as the percentage shown. */
  allowed: number;
  allowedPct: number;
  strict: boolean;
  hybrid: boolean;
  /** The --target of a benchmark, by its compared name or its name in the file. */
  targetOf: (k: Keyed) => number | undefined;
}

export const oneSidedRow = ({ key, bench: b }: Keyed, side: 'baseline' | 'current', rule: RowRule): CompareRow => ({
  name: key,
  ...(key !== b.name ? { [`${side}_name`]: b.name } : {}),
  baseline: side === 'baseline' ? (b.metrics[rule.metric] ?? null) : null,
  current: side === 'current' ? (b.metrics[rule.metric] ?? null) : null,
  change_pct: null,
  allowed_pct: rule.allowedPct,
  target_ms: rule.targetOf({ key, bench: b }) ?? b.target ?? null,
  // A gate that must see every benchmark (--strict) fails on one that vanished or appeared.
  status: rule.strict ? 'fail' : side === 'baseline' ? 'baseline-only' : 'current-only',
  significance: null,
  message: (side === 'baseline' ? 'only in the baseline' : 'new: only in the current results') + (rule.strict ? ' (--strict)' : ''),
});

export function compareRow(bk: Keyed, ck: Keyed, rule: RowRule): CompareRow {
  const { metric, allowed, allowedPct, targetOf } = rule;
  const [b, c] = [bk.bench, ck.bench];
  const bv = b.metrics[metric] ?? null;
  const cv = c.metrics[metric] ?? null;
  const target = targetOf(bk) ?? targetOf(ck) ?? c.target ?? b.target ?? null;
  const row: CompareRow = { name: bk.key, baseline: bv, current: cv, change_pct: null, allowed_pct: allowedPct, target_ms: target, status: 'pass', significance: null, message: '' };
  if (b.name !== bk.key) row.baseline_name = b.name;
  if (c.name !== ck.key) row.current_name = c.name;
  if (bv === null || cv === null) {
    row.status = rule.strict ? 'fail' : 'warn';
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
  if (rule.hybrid) {
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
  if (status === 'warn' && rule.strict) {
    status = 'fail';
    why += ' (--strict)';
  }
  row.status = status;
  row.message = why;
  return row;
}
