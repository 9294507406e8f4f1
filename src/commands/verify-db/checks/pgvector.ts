/** `pgvector`: the extension is created, or can be (created and rolled back); warn when absent. */
import type { Client } from 'pg';
import { InterruptedError } from '../../../lib/cli/errors.js';
import { withTransaction } from '../../../lib/pg/client.js';
import { fail, pass, warn, type CheckOutcome } from '../../../lib/cli/report.js';
import type { Blocker, Session } from '../session.js';

async function pgvectorOutcome(c: Client, db: string, required: boolean, signal: AbortSignal): Promise<CheckOutcome> {
  const soft = required ? fail : warn;
  const r = await c.query<{ default_version: string; installed_version: string | null }>(
    "SELECT default_version, installed_version FROM pg_available_extensions WHERE name = 'vector'",
  );
  const row = r.rows[0];
  if (!row) {
    return soft(
      'pgvector is not installed on the server (no "vector" in pg_available_extensions)',
      'install it on the server (apt install postgresql-<major>-pgvector, brew install pgvector, or from github.com/pgvector/pgvector), then run `mcpctl setup-db --with-pgvector`',
    );
  }
  if (row.installed_version) return pass(`vector ${row.installed_version} is created in ${db}`);
  if (signal.aborted) throw new InterruptedError();
  try {
    // Created and rolled back: proves it can be created without leaving it behind.
    await withTransaction(c, async (tx) => {
      await tx.query('CREATE EXTENSION vector');
      throw new RollbackOnPurpose();
    });
  } catch (e) {
    if (!(e instanceof RollbackOnPurpose)) {
      const msg = (e as Error).message;
      return soft(`vector ${row.default_version} is available but ${(e as { code?: string }).code === '42501' ? 'the app user may not create it' : 'cannot be created'}: ${msg}`, 'create it as an admin: `mcpctl setup-db --with-pgvector` (or CREATE EXTENSION vector; in each database)');
    }
  }
  return pass(`vector ${row.default_version} is available and can be created in ${db} (setup-db --with-pgvector creates it)`);
}

class RollbackOnPurpose extends Error {}

/** Runs on the main connection after `schema` (its probe is a transaction the others must not share). */
export async function pgvectorCheck(s: Session, mainClient: Client | undefined, missing: Blocker | undefined): Promise<void> {
  if (!s.want('pgvector')) return;
  if (!mainClient) return s.record('pgvector', s.blockedBy(missing!), 0);
  await s.timed('pgvector', async () => {
    // A query that timed out still occupies the connection: pgvector gets a new one.
    const stuck = s.schemaMain?.some((p) => p.timedOut);
    const c = stuck ? await s.tryConnect(s.o.mainTarget) : { client: mainClient };
    if (!c.client) throw c.error!;
    try {
      return await pgvectorOutcome(c.client, s.cfg.POSTGRES_DB, s.o.requirePgvector, s.signal);
    } finally {
      if (c.client !== mainClient) await s.close(c.client);
    }
  });
}
