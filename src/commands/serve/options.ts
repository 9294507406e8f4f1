/**
 * serve's flags as both parsers read them: the commander adapter (command.ts) and the fast path
 * that starts serve without loading commander (fast-argv.ts). One table of names and limits, so
 * the two cannot drift apart; tests/unit/serve-fast-argv.test.ts checks them against commander.
 * No imports: the fast path loads this before anything else.
 */

/** The options serve's action receives (commander's camel-cased names). */
export interface ServeFlags {
  healthPort?: number;
  healthHost?: string;
  wait: number;
  grace: number;
  restart?: 'no' | 'on-failure';
  restartDelay?: number;
}

/** Whole-number options: flag, option key, inclusive range. */
export const SERVE_INT_OPTIONS = {
  '--wait': { key: 'wait', min: 0, max: 86_400 },
  '--grace': { key: 'grace', min: 0, max: 3600 },
  '--health-port': { key: 'healthPort', min: 0, max: 65535 },
  '--restart-delay': { key: 'restartDelay', min: 1, max: 60_000 },
} as const;

export const RESTART_POLICIES: readonly string[] = ['on-failure', 'no'];

/** The defaults commander applies (and the fast path with it). */
export const SERVE_DEFAULTS = { wait: 30, grace: 10, healthHost: '127.0.0.1' } as const;
