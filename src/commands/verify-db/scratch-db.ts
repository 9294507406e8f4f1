/**
 * Uniquely named scratch databases (`mcpctl_verify_<hex>`) that checks create and must
 * never leave behind. A run names its scratch database in the application_name of the
 * connection that creates it, so a later run can tell a live scratch database (its creator
 * is still connected) from the leftover of a killed run, and drops only the latter.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { quoteIdent } from '../../lib/pg/client.js';

export const SCRATCH_PREFIX = 'mcpctl_verify_';
const APP_NAME_PREFIX = 'mcpctl verify-db ';

/** A fresh scratch database name: the prefix and 10 random hex digits. */
export function scratchName(): string {
  return SCRATCH_PREFIX + randomBytes(5).toString('hex');
}

/** True for names this module generates (never drop anything else). */
export function isScratchName(name: string): boolean {
  return /^mcpctl_verify_[0-9a-f]{10}$/.test(name);
}

/** The application_name the creating connection carries while the scratch database lives. */
export function scratchOwnerAppName(name: string): string {
  return APP_NAME_PREFIX + name;
}

/** Outcome of sweeping leftovers of earlier, killed runs. */
export interface SweepResult {
  dropped: string[];
  /** Leftovers that could not be dropped, with the reason. */
  failed: { name: string; reason: string }[];
}

/**
 * Drops scratch databases owned by the current role whose creator is gone: no session
 * carries their owner application_name and none is connected to them. A concurrent
 * verify-db run's scratch database is therefore left alone.
 */
export async function sweepLeftovers(client: Client): Promise<SweepResult> {
  const r = await client.query<{ datname: string }>(
    `SELECT d.datname
       FROM pg_database d JOIN pg_roles o ON o.oid = d.datdba
      WHERE d.datname LIKE 'mcpctl\\_verify\\_%' AND o.rolname = current_user
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                         WHERE a.application_name = $1 || d.datname OR a.datname = d.datname)
      ORDER BY 1`,
    [APP_NAME_PREFIX],
  );
  const result: SweepResult = { dropped: [], failed: [] };
  for (const { datname } of r.rows) {
    if (!isScratchName(datname)) continue;
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`);
      result.dropped.push(datname);
    } catch (e) {
      result.failed.push({ name: datname, reason: (e as Error).message });
    }
  }
  return result;
}

export async function createScratch(client: Client, name: string): Promise<void> {
  if (!isScratchName(name)) throw new Error(`refusing to create ${name}: not a scratch database name`);
  await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
}

/** Drops a scratch database, ending any session still connected to it (our own). */
export async function dropScratch(client: Client, name: string): Promise<void> {
  if (!isScratchName(name)) throw new Error(`refusing to drop ${name}: not a scratch database name`);
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}
