/**
 * Waits until PostgreSQL accepts a login (a server still starting, a container not yet up),
 * retrying about once a second until a deadline, then fails with the last error and its hint.
 * A permanent refusal (PgConnectError.permanent) ends the wait at once.
 */
import { InterruptedError, UserError } from './errors.js';
import { connect, describePgError, PgConnectError, type ConnTarget } from './pg.js';

/** One failed attempt, for a status line. */
export interface WaitAttempt {
  attempt: number;
  error: UserError;
  elapsedMs: number;
  remainingMs: number;
}

export interface WaitOptions {
  /** Give up after this long (0: one attempt). */
  waitMs: number;
  /** Pause between attempts' starts (default 1000 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
  onAttempt?: (a: WaitAttempt) => void;
  now?: () => number;
}

/** Logs in once as `target` and closes the connection; throws a described UserError. */
export async function probeLogin(target: ConnTarget): Promise<void> {
  // pg's connect timeout covers the whole start-up, authentication included.
  const c = await connect(target);
  // The login succeeded: closing the connection need not delay what comes next (serve's child).
  void c.end().catch(() => undefined);
}

/** Resolves with the number of attempts once a login succeeded; throws the last error after `waitMs`. */
export async function waitForDb(target: ConnTarget, o: WaitOptions): Promise<{ attempts: number; ms: number }> {
  const now = o.now ?? Date.now;
  const interval = o.intervalMs ?? 1000;
  const t0 = now();
  const deadline = t0 + o.waitMs;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new InterruptedError('interrupted while waiting for PostgreSQL');
    const started = now();
    // An attempt never runs past the deadline by more than a second.
    const timeoutMs = Math.max(1000, Math.min(target.timeoutMs ?? 5000, deadline - started));
    try {
      await probeLogin({ ...target, timeoutMs });
      return { attempts: attempt, ms: now() - t0 };
    } catch (e) {
      const error = describePgError(e, target);
      // The server answered and said no (wrong password, no such role, pg_hba): waiting cannot help.
      if (error instanceof PgConnectError && error.permanent) throw error;
      const t = now();
      if (t >= deadline) {
        throw new UserError(`PostgreSQL did not accept the login within ${formatWait(o.waitMs)} (${attempt} attempt${attempt === 1 ? '' : 's'}): ${error.message}`, {
          hint: error.hint,
          code: error.code,
          cause: e,
        });
      }
      o.onAttempt?.({ attempt, error, elapsedMs: t - t0, remainingMs: deadline - t });
      // The last attempt is made at the deadline itself.
      await pause(Math.max(0, Math.min(started + interval, deadline) - t), o.signal);
    }
  }
}

function formatWait(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError('interrupted while waiting for PostgreSQL'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError('interrupted while waiting for PostgreSQL'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
