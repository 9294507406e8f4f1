/**
 * PostgreSQL session advisory locks: serialise work across processes (two setup-db runs
 * against one server) without a lock file. Polled with pg_try_advisory_lock so a waiting
 * run still stops on Ctrl-C and gives up after a timeout with a clear message.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { InterruptedError, UserError } from '../../lib/cli/errors.js';

/** A stable signed 64-bit key for a name (advisory locks take a bigint). */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

export interface AdvisoryLockOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  pollMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: () => void;
}

/**
 * Runs `fn` while holding the session advisory lock `key` (a name or a bigint string) on
 * `client`'s connection; releases it afterwards (closing the connection releases it too).
 */
export async function withAdvisoryLock<T>(client: Client, key: string, fn: () => Promise<T>, opts: AdvisoryLockOptions = {}): Promise<T> {
  const k = /^-?\d+$/.test(key) ? key : advisoryKey(key);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let waited = false;
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError('interrupted while waiting for the lock; nothing changed');
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [k]);
    if (r.rows[0]?.ok) break;
    if (!waited) {
      waited = true;
      opts.onWait?.();
    }
    if (Date.now() > deadline) {
      throw new UserError('another run holds the lock on this server and did not finish in time; nothing changed', {
        hint: 'wait for the other run to finish (or end it), then run again',
      });
    }
    await delay(opts.pollMs ?? 100);
  }
  try {
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [k]).catch(() => undefined);
  }
}
