/**
 * Scratch databases of backup --verify (`mcpctl_restorecheck_*`) and restore
 * (`mcpctl_restore_*`, `…_old` while swapping): each run holds a connection named after
 * its scratch database for as long as it lives, so a later run can tell a live one from
 * the leftover of a killed run and drops only the latter (as verify-db does for its own).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { connect, quoteIdent, type ConnTarget } from '../lib/pg.js';

const SCRATCH = /^mcpctl_(?:restore|restorecheck)_[0-9a-f]{10}(?:_old)?$/;
const HOLDER = 'mcpctl hold ';

/** A unique scratch database name, e.g. `mcpctl_restorecheck_3f9a1c2b7e`. */
export function scratchName(prefix: 'mcpctl_restore' | 'mcpctl_restorecheck'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A connection that marks `name` as in use until it is closed (or its process dies). */
export async function holdScratch(admin: ConnTarget, name: string): Promise<Client> {
  return connect({ ...admin, applicationName: HOLDER + name });
}

/**
 * Drops the current role's scratch databases that nobody holds and nobody is connected
 * to. Returns the names dropped; a leftover that cannot be dropped is left for next time.
 */
export async function sweepScratch(c: Client): Promise<string[]> {
  const r = await c.query<{ datname: string }>(
    `SELECT d.datname FROM pg_database d
      WHERE d.datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND d.datname ~ '^mcpctl_(restore|restorecheck)_[0-9a-f]{10}(_old)?$'
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                         WHERE a.datname = d.datname
                            OR a.application_name = $1 || regexp_replace(d.datname, '_old$', ''))
      ORDER BY 1`,
    [HOLDER],
  );
  const dropped: string[] = [];
  for (const { datname } of r.rows) {
    if (!SCRATCH.test(datname)) continue;
    try {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`);
      dropped.push(datname);
    } catch {
      // Someone connected in between, or it went already: next run's business.
    }
  }
  return dropped;
}
