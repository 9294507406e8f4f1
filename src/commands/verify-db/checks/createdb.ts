/**
 * `createdb`: the app user creates and drops a uniquely named database. That one scratch
 * database also hosts `dynamic-db`, so a run sends one CREATE and one DROP in all; it is
 * dropped whatever happens (the cleanup queues behind a CREATE still in flight).
 */
import type { Client } from 'pg';
import { isInternalError, UserError } from '../../../lib/cli/errors.js';
import { connect, describePgError, sqlStateOf, type ConnTarget } from '../../../lib/pg/client.js';
import { fail, pass, skip, type CheckOutcome } from '../../../lib/cli/report.js';
import { createScratch, dropScratch, sweepLeftovers, type SweepResult } from '../scratch-db.js';
import { closeClient, outcomeOf, withTimeout, type Session } from '../session.js';
import { dynamicDbCheck } from './dynamic-db.js';

export function createFailure(e: unknown, user: string): CheckOutcome {
  if (sqlStateOf(e) === '42501') {
    return fail(`${user} may not create databases: ${(e as Error).message}`, `as an admin: ALTER ROLE ${user} CREATEDB; (or run \`mcpctl setup-db\`)`);
  }
  return outcomeOf(e);
}

export function sweepNote(s: SweepResult): string {
  const parts: string[] = [];
  if (s.dropped.length) parts.push(`; dropped ${s.dropped.length} leftover${s.dropped.length === 1 ? '' : 's'} of an earlier run: ${s.dropped.join(', ')}`);
  if (s.failed.length) parts.push(`; could not drop leftover ${s.failed.map((f) => `${f.name} (${f.reason})`).join(', ')}`);
  return parts.join('');
}

/** Sweeps leftovers, creates the scratch database; undefined when it could not (already recorded). */
async function create(s: Session, host: Client): Promise<{ createMs: number; swept: string } | undefined> {
  const { timeoutMs, scratch } = s.o;
  const startCreate = performance.now();
  let sweep: SweepResult = { dropped: [], failed: [] };
  try {
    s.o.progress('creating a scratch database');
    sweep = await withTimeout(sweepLeftovers(host), timeoutMs, 'dropping leftover scratch databases');
    if (s.signal.aborted) return undefined;
    const t = performance.now();
    s.scratchIssued = true;
    await withTimeout(createScratch(host, scratch), timeoutMs, 'CREATE DATABASE');
    const createMs = performance.now() - t;
    s.o.progress(`created scratch database ${scratch}`);
    return { createMs, swept: sweepNote(sweep) };
  } catch (e) {
    if (s.signal.aborted) return undefined;
    if (isInternalError(e)) throw e;
    const o = createFailure(e, s.cfg.POSTGRES_USER);
    s.record('createdb', o, performance.now() - startCreate);
    s.record('dynamic-db', s.want('createdb') ? skip('not run: createdb failed') : o, 0);
    return undefined;
  }
}

/** createdb and dynamic-db on `host`: create, use, drop. */
export async function scratchChecks(s: Session, host: Client): Promise<void> {
  const { timeoutMs, scratch, mainTarget } = s.o;
  const created = await create(s, host);
  if (!created || s.signal.aborted) return;
  const { createMs, swept } = created;
  await dynamicDbCheck(s, swept);
  if (s.signal.aborted) return;

  const t = performance.now();
  try {
    await withTimeout(dropScratch(host, scratch), timeoutMs, 'DROP DATABASE');
    s.scratchIssued = false;
    const dropMs = performance.now() - t;
    s.record('createdb', pass(`created and dropped ${scratch} (create ${Math.round(createMs)} ms, drop ${Math.round(dropMs)} ms)${swept}`), createMs + dropMs);
  } catch (e) {
    if (s.signal.aborted) return;
    const err = e instanceof UserError ? e : describePgError(e, mainTarget);
    s.record('createdb', fail(`created ${scratch} but could not drop it: ${err.message}`, `as an admin: DROP DATABASE ${scratch}; (the next verify-db run also drops it)`), createMs + performance.now() - t);
  }
}

/** Drops the scratch database after an interrupt or failure: on its creator, else from a new connection. */
export async function cleanupScratch(host: Client | undefined, name: string, target: ConnTarget): Promise<void> {
  try {
    if (!host) throw new Error('no connection');
    await withTimeout(dropScratch(host, name), 10_000, 'DROP DATABASE');
  } catch {
    // The creating connection is gone: drop it from a fresh one (best effort; the next run sweeps it).
    const c = await connect({ ...target, database: target.database }).catch(() => undefined);
    if (c) {
      await dropScratch(c, name).catch(() => undefined);
      await closeClient(c);
    }
  }
}
