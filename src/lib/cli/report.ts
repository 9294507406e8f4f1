import { isInternalError } from './errors.js';
/** The status of one check. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One line of a checking command's report (verify-env, verify-db). */
export interface Check {
  name: string;
  status: CheckStatus;
  /** Duration in milliseconds. */
  ms: number;
  message: string;
  /** How to fix it; present on warn and fail. */
  hint?: string;
}

/** The report shape every checking command returns and `--json` prints. */
export interface Report {
  ok: boolean;
  checks: Check[];
}

/** What a check body returns; name and timing are added by `runCheck`. */
export interface CheckOutcome {
  status: CheckStatus;
  message: string;
  hint?: string;
}

export const pass = (message: string): CheckOutcome => ({ status: 'pass', message });
export const warn = (message: string, hint?: string): CheckOutcome => ({ status: 'warn', message, hint });
export const fail = (message: string, hint?: string): CheckOutcome => ({ status: 'fail', message, hint });
export const skip = (message: string): CheckOutcome => ({ status: 'skip', message });

/**
 * Times a check; an exception becomes a failure carrying its message (and hint, if a UserError).
 * A bug (isInternalError) is not a failed check: it ends the command as an internal error.
 */
export async function runCheck(
  name: string,
  body: () => Promise<CheckOutcome> | CheckOutcome,
  now: () => number = () => performance.now(),
): Promise<Check> {
  const start = now();
  try {
    const r = await body();
    return { name, ...r, ms: Math.round(now() - start) };
  } catch (err) {
    if (isInternalError(err)) throw err;
    const e = err as { message?: string; hint?: string };
    return { name, status: 'fail', message: e.message ?? String(err), hint: e.hint, ms: Math.round(now() - start) };
  }
}

/** ok when nothing failed; with `strict`, warnings count as failures too. */
export function makeReport(checks: Check[], strict = false): Report {
  const ok = checks.every((c) => c.status !== 'fail' && !(strict && c.status === 'warn'));
  return { ok, checks };
}

/** Parses `--only`/`--skip` lists and rejects unknown names (exit 2 upstream). */
export function selectChecks(
  all: readonly string[],
  only: string | undefined,
  skipList: string | undefined,
): { selected: Set<string>; unknown: string[] } {
  const parse = (s: string | undefined) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const o = parse(only);
  const s = parse(skipList);
  const unknown = [...o, ...s].filter((n) => !all.includes(n));
  const selected = new Set(o.length ? o : all);
  for (const n of s) selected.delete(n);
  return { selected, unknown };
}
