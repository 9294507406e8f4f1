/**
 * When `serve --restart on-failure` restarts a crashed child: exponential backoff, and a
 * give-up rule so that a server that cannot start does not loop forever. Pure: time is passed in.
 */

/** Backoff and give-up limits (the contract's defaults in DEFAULT_RESTART_POLICY). */
export interface RestartPolicy {
  /** Delay before the first restart of a streak. */
  initialDelayMs: number;
  /** Upper bound of the doubling delay. */
  maxDelayMs: number;
  /** Give up when this many crashes happened within `windowMs`. */
  maxCrashes: number;
  windowMs: number;
  /** A run at least this long ends a crash streak: the next crash starts again at `initialDelayMs`. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
  stableAfterMs: 60_000,
};

/** What the supervisor remembers about earlier crashes. */
export interface CrashHistory {
  /** Times (ms) of the crashes still inside the window. */
  crashTimes: number[];
  /** Consecutive crashes of runs shorter than `stableAfterMs`. */
  streak: number;
}

export const NO_CRASHES: CrashHistory = { crashTimes: [], streak: 0 };

export type RestartDecision =
  | { action: 'restart'; delayMs: number; history: CrashHistory }
  | { action: 'give-up'; crashesInWindow: number; history: CrashHistory };

/**
 * Records a crash at `at` of a run that lasted `ranMs` and decides: restart after a delay
 * (1 s, 2 s, 4 s … capped) or give up (too many crashes within the window).
 */
export function decideRestart(history: CrashHistory, at: number, ranMs: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RestartDecision {
  const crashTimes = [...history.crashTimes.filter((t) => at - t < policy.windowMs), at];
  const streak = ranMs >= policy.stableAfterMs ? 1 : history.streak + 1;
  const next: CrashHistory = { crashTimes, streak };
  if (crashTimes.length >= policy.maxCrashes) return { action: 'give-up', crashesInWindow: crashTimes.length, history: next };
  const delayMs = Math.min(policy.initialDelayMs * 2 ** (streak - 1), policy.maxDelayMs);
  return { action: 'restart', delayMs, history: next };
}

/**
 * The policy with its delays scaled so that the first is `initialDelayMs` (tests shrink time this
 * way); the give-up window stays, so a fast-crashing child still gives up after the fifth crash.
 */
export function scaledPolicy(initialDelayMs: number, base: RestartPolicy = DEFAULT_RESTART_POLICY): RestartPolicy {
  return { ...base, initialDelayMs, maxDelayMs: (base.maxDelayMs * initialDelayMs) / base.initialDelayMs };
}
