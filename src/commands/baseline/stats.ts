/**
 * Descriptive statistics and the Mann-Whitney U test for benchmark samples.
 *
 * Conventions (stated in docs/baseline.md):
 * - stddev is the SAMPLE standard deviation (divisor n − 1); for one sample it is 0.
 * - Percentiles use linear interpolation between closest ranks: R's type 7, numpy's default
 *   ("linear"), Excel's PERCENTILE.INC. For sorted x[0..n−1] and p in [0, 1]:
 *   h = (n − 1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 */

/** The statistics the contract records for every benchmark (all in the samples' unit). */
export interface Summary {
  n: number;
  min: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  stddev: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentile of already sorted values, p in [0, 1], R type 7 (see above). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile p must be in [0, 1], not ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // a + (h − lo)(b − a) gives exactly a when a = b, so identical samples stay exact.
  return a + (h - lo) * (b - a);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of an empty sample');
  // Shifting by the first value keeps the sum small, so identical samples give their value exactly.
  const k = xs[0]!;
  let s = 0;
  for (const x of xs) s += x - k;
  return k + s / xs.length;
}

/** Sample standard deviation (divisor n − 1); 0 for a single sample. */
export function sampleStddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** min, mean, sample stddev, p50/p95/p99 (type 7) and max of a non-empty sample. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('no samples to summarize');
  for (const x of samples) if (!Number.isFinite(x)) throw new RangeError(`sample ${x} is not a finite number`);
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0]!,
    mean: mean(s),
    stddev: sampleStddev(s),
    p50: quantileSorted(s, 0.5),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    max: s[s.length - 1]!,
  };
}

/** Result of a two-sided Mann-Whitney U test. */
export interface MannWhitney {
  /** U of the first sample: the number of pairs (a, b) with a > b, ties counting ½. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  /** Exact distribution (no ties, small samples) or the normal approximation. */
  method: 'exact' | 'normal';
  /** p < alpha. */
  significant: boolean;
  alpha: number;
}

/** Samples up to this combined size without ties get the exact distribution. */
export const EXACT_MAX_TOTAL = 60;

/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum) of `a` against `b`.
 * Without ties and with n₁ + n₂ ≤ 60, the p-value comes from the exact distribution of U
 * (counted with big integers); otherwise from the normal approximation with tie correction
 * and continuity correction — the same as SciPy's `mannwhitneyu(a, b, method="exact")` and
 * `method="asymptotic"` respectively.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[], alpha = 0.05): MannWhitney {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney needs two non-empty samples');
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const n = n1 + n2;
  let r1 = 0;
  let tieSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based; a tie group shares their average
    const t = j - i + 1;
    if (t > 1) tieSum += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) r1 += rank;
    i = j + 1;
  }
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.max(u1, n1 * n2 - u1);
  let p: number;
  let method: MannWhitney['method'];
  if (tieSum === 0 && n <= EXACT_MAX_TOTAL) {
    method = 'exact';
    p = Math.min(1, 2 * exactUpperTail(n1, n2, u));
  } else {
    method = 'normal';
    const mu = (n1 * n2) / 2;
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1))));
    p = sigma === 0 ? 1 : Math.min(1, 2 * normalSf((u - mu - 0.5) / sigma));
  }
  return { u: u1, p, method, significant: p < alpha, alpha };
}

/**
 * P(U ≥ u) under H0 for sample sizes m, n. The number of arrangements with U = k is the
 * coefficient of q^k in the Gaussian binomial [m+n choose m]_q = Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i).
 */
function exactUpperTail(m: number, n: number, u: number): number {
  const size = m * n + 1;
  let poly: bigint[] = new Array<bigint>(size).fill(0n);
  poly[0] = 1n;
  for (let i = 1; i <= m; i++) {
    const next = [...poly];
    const shift = n + i;
    for (let k = size - 1; k >= shift; k--) next[k]! -= poly[k - shift]!; // × (1 − q^{n+i})
    for (let k = i; k < size; k++) next[k]! += next[k - i]!; // ÷ (1 − q^i): a running sum with stride i
    poly = next;
  }
  let total = 0n;
  let tail = 0n;
  const from = Math.ceil(u);
  for (let k = 0; k < size; k++) {
    total += poly[k]!;
    if (k >= from) tail += poly[k]!;
  }
  // Scale before converting so that the ratio keeps 15+ significant digits even for huge counts.
  const scale = 10n ** 18n;
  return Number((tail * scale) / total) / 1e18;
}

/** Upper tail of the standard normal distribution, P(Z > z). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Complementary error function, W. J. Cody's rational Chebyshev approximations
 * (relative error below 1e-15 over the whole real line) as used by many numeric libraries.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.5) return 1 - erfSmall(x);
  if (x > 26.5) return 0;
  const exp = Math.exp(-x * x);
  if (x <= 4) {
    const P = [1.23033935479799725e3, 2.05107837782607147e3, 1.71204761263407058e3, 8.81952221241769090e2, 2.98635138197400131e2, 6.61191906371416295e1, 8.88314979438837594, 5.64188496988670089e-1, 2.15311535474403846e-8];
    const Q = [1.23033935480374942e3, 3.43936767414372164e3, 4.36261909014324716e3, 3.29079923573345963e3, 1.62138957456669019e3, 5.37181101862009858e2, 1.17693950891312499e2, 1.57449261107098347e1, 1];
    return (exp * poly(P, x)) / poly(Q, x);
  }
  const z = 1 / (x * x);
  const P = [6.58749161529837803e-4, 1.60837851487422766e-2, 1.25781726111229246e-1, 3.60344899949804439e-1, 3.05326634961232344e-1, 1.63153871373020978e-2];
  const Q = [2.33520497626869185e-3, 6.05183413124413191e-2, 5.27905102951428412e-1, 1.87295284992346725, 2.56852019228982242, 1];
  const r = (z * poly(P, z)) / poly(Q, z);
  return (exp / x) * (1 / Math.sqrt(Math.PI) - r);
}

function erfSmall(x: number): number {
  const P = [3.209377589138469473e3, 3.774852376853020208e2, 1.138641541510501556e2, 3.161123743870565597, 1.857777061846031527e-1];
  const Q = [2.844236833439170622e3, 1.282616526077372276e3, 2.440246379344441733e2, 2.360129095234412093e1, 1];
  const z = x * x;
  return (x * poly(P, z)) / poly(Q, z);
}

/** Evaluates c[0] + c[1]·x + c[2]·x² + … (Horner). */
function poly(c: readonly number[], x: number): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i]!;
  return r;
}
