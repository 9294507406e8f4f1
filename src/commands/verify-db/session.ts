/**
 * One verify-db run's shared state: the selected checks and their recorded results, the
 * connections it opened (all closed at the end, whatever happened), and the facts one check
 * learns for another (the role's connection capacity, the schema problems). The checks in
 * checks/ and the lanes in run.ts all work on this one object instead of on closures.
 */
import type { Client, Pool } from 'pg';
import type { Config } from '../../lib/config/keys.js';
import type { AppPassword } from '../../lib/config/credentials.js';
import { InterruptedError, isInternalError, UserError } from '../../lib/cli/errors.js';
import type { Migration } from '../../lib/pg/migrations.js';
import { connect, describePgError, type ConnTarget } from '../../lib/pg/client.js';
import { fail, makeReport, skip, type Check, type CheckOutcome, type Report } from '../../lib/cli/report.js';
import type { Capacity } from './checks/pool.js';
import type { SchemaProblem } from './checks/schema.js';
import { VERIFY_DB_CHECKS, type VerifyDbCheck } from './check-names.js';

/** A failed check that others depend on, and what to say in their place. */
export interface Blocker {
  check: VerifyDbCheck;
  message: string;
  hint?: string;
}

/** A login: the client, or the error that kept it from connecting. */
export interface Attempt {
  client?: Client;
  error?: UserError;
}

export interface SessionInit {
  cfg: Config;
  selected: Set<VerifyDbCheck>;
  signal: AbortSignal;
  cwd: string;
  timeoutMs: number;
  poolSize: number;
  requirePgvector: boolean;
  migrations: readonly Migration[];
  pwMain: AppPassword;
  pwTest: AppPassword;
  mainTarget: ConnTarget;
  scratch: string;
  progress: (text: string) => void;
}

export class Session {
  readonly results = new Map<VerifyDbCheck, Check>();
  readonly #open: Client[] = [];
  /** Facts one check learns for another. */
  capacity: Capacity | undefined;
  schemaMain: SchemaProblem[] | undefined;
  schemaTest: SchemaProblem[] | undefined;
  schemaMs = 0;
  /** The connection the scratch database is created on, and whether its CREATE was sent. */
  scratchHost: Client | undefined;
  scratchIssued = false;
  /** The pool check's pool while it is open (ended by the cleanup if still open). */
  pool: Pool | undefined;
  /** Resolved when the pool's first attempt is over (dynamic-db may wait for its slots). */
  readonly poolFirstDone: Promise<void>;
  markPoolFirstDone!: () => void;

  constructor(readonly o: SessionInit) {
    this.poolFirstDone = new Promise<void>((r) => (this.markPoolFirstDone = r));
  }

  get cfg(): Config {
    return this.o.cfg;
  }
  get signal(): AbortSignal {
    return this.o.signal;
  }

  want(name: VerifyDbCheck): boolean {
    return this.o.selected.has(name);
  }

  record(name: VerifyDbCheck, outcome: CheckOutcome, ms: number): void {
    if (this.want(name)) this.results.set(name, { name, ...outcome, ms: Math.round(ms) });
  }

  /** Runs one check's body within the timeout; an error becomes its failure (an interrupt stays one). */
  async timed(name: VerifyDbCheck, body: () => Promise<CheckOutcome>): Promise<CheckOutcome> {
    const start = performance.now();
    let outcome: CheckOutcome;
    try {
      outcome = await withTimeout(body(), this.o.timeoutMs, name);
    } catch (e) {
      if (this.signal.aborted) throw new InterruptedError();
      // A bug inside a check is not a failed check: it ends the run as an internal error.
      if (isInternalError(e)) throw e;
      outcome = outcomeOf(e);
    }
    this.record(name, outcome, performance.now() - start);
    return outcome;
  }

  /**
   * A check that cannot run because an earlier one failed is a skip naming it; when that
   * earlier check was not selected, the dependent check carries its failure instead.
   */
  blockedBy(b: Blocker): CheckOutcome {
    return this.want(b.check) ? skip(`not run: ${b.check} failed`) : fail(b.message, b.hint);
  }

  recordBlocked(names: VerifyDbCheck[], b: Blocker): void {
    for (const n of names) this.record(n, this.blockedBy(b), 0);
  }

  async tryConnect(t: ConnTarget): Promise<Attempt> {
    try {
      const c = await connect(t);
      if (this.signal.aborted) {
        await closeClient(c);
        return { error: new InterruptedError() };
      }
      this.#open.push(c);
      return { client: c };
    } catch (e) {
      return { error: e instanceof UserError ? e : describePgError(e, t) };
    }
  }

  async close(c: Client | undefined): Promise<void> {
    const i = c ? this.#open.indexOf(c) : -1;
    if (i < 0) return;
    this.#open.splice(i, 1);
    await closeClient(c!);
  }

  /** Closes every connection still open. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((c) => closeClient(c)));
  }

  /** The report, in the contract's check order; an interrupted run throws instead. */
  finish(): Report {
    if (this.signal.aborted) throw new InterruptedError();
    const checks = VERIFY_DB_CHECKS.filter((n) => this.want(n)).map((n) => this.results.get(n) ?? { name: n, status: 'skip' as const, ms: 0, message: 'not run' });
    return makeReport(checks);
  }
}

/** Ends a client; a server that does not answer the goodbye gets its socket closed. */
export async function closeClient(c: Client): Promise<void> {
  await withTimeout(c.end(), 1000, 'closing a connection').catch(() => {
    c.connection.stream.destroy();
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(`${what} did not finish within ${ms} ms`, { hint: 'the server may be overloaded or waiting on a lock; check it, or raise --timeout', code: 'timeout' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A promise that rejects with InterruptedError when `signal` aborts (for racing the lanes). */
export function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** An error as a failed check: its message, and its hint when it has one. */
export function outcomeOf(e: unknown): CheckOutcome {
  const err = e as { message?: string; hint?: string };
  if (e instanceof UserError) return fail(e.message, e.hint);
  return fail(err.message ?? String(e), err.hint);
}
