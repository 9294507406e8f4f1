/**
 * How `baseline compare` pairs benchmarks across two files whose formats name them differently:
 * a pytest-benchmark import is keyed by the node id (`tests/perf/test_x.py::test_search`), a
 * latency summary by the bare test name (`test_search`), the old flat file by `search`.
 */
import type { Benchmark } from '../lib/benchmark-formats.js';
import { UsageError } from '../lib/errors.js';

/** `exact`: names as written; `last`: a pytest node id's last `::` component (parameters kept). */
export type MatchRule = 'exact' | 'last';
export const MATCH_RULES: readonly MatchRule[] = ['exact', 'last'];

/** A benchmark under the key it is compared by. */
export interface Keyed {
  key: string;
  bench: Benchmark;
}

/** `tests/perf/test_x.py::TestSearch::test_q[10]` → `test_q[10]`; a name without `::` is itself. */
export function lastComponent(name: string): string {
  // A parameter id may itself contain `::` (test_q[a::b]): split only outside the brackets.
  const bracket = name.indexOf('[');
  const head = bracket === -1 ? name : name.slice(0, bracket);
  const i = head.lastIndexOf('::');
  return i === -1 ? name : name.slice(i + 2);
}

/** Parses `--map <name>=<name>` (the last `=` separates, as for --target). */
export function parseMap(spec: string): [string, string] {
  const i = spec.lastIndexOf('=');
  const from = i > 0 ? spec.slice(0, i) : '';
  const to = i > 0 ? spec.slice(i + 1) : '';
  if (!from || !to) throw new UsageError(`--map takes <name>=<name>, not ${JSON.stringify(spec)}`, { hint: 'for example --map tests/perf/test_x.py::test_search=search' });
  return [from, to];
}

/**
 * The key each benchmark of one file is compared by: its `--map` target when it has one, else its
 * name under the rule. Two benchmarks of one file under one key is a usage error naming them.
 */
export function keyBenchmarks(list: readonly Benchmark[], rule: MatchRule, map: ReadonlyMap<string, string>, file: string): Keyed[] {
  const byKey = new Map<string, string>();
  return list.map((bench) => {
    const key = map.get(bench.name) ?? (rule === 'last' ? lastComponent(bench.name) : bench.name);
    const other = byKey.get(key);
    if (other !== undefined) {
      throw new UsageError(`${file}: "${other}" and "${bench.name}" would both be compared as "${key}"`, {
        hint: `tell them apart with --map "${bench.name}=<another name>"${rule === 'last' ? ', or use --match exact' : ''}`,
      });
    }
    byKey.set(key, bench.name);
    return { key, bench };
  });
}

/** How many benchmarks `rule` would pair: used to suggest it when nothing matched. */
export function pairsUnder(base: readonly Benchmark[], cur: readonly Benchmark[], rule: MatchRule): number {
  const key = (n: string) => (rule === 'last' ? lastComponent(n) : n);
  const names = new Set(base.map((b) => key(b.name)));
  return new Set(cur.map((c) => key(c.name)).filter((k) => names.has(k))).size;
}
