/** `version`: the server is PostgreSQL 14 or newer. */
import type { Client } from 'pg';
import { serverVersion } from '../../../lib/pg/client.js';
import { fail, pass, type CheckOutcome } from '../../../lib/cli/report.js';
import type { Blocker, Session } from '../session.js';

export const MIN_SERVER_VERSION_NUM = 140000;

/** `version` from server_version_num (e.g. 150020) and server_version (e.g. "15.20 (Debian …)"). */
export function evaluateVersion(num: number, text: string): CheckOutcome {
  const shown = text.split(' ')[0] ?? String(num);
  if (!Number.isFinite(num) || num < MIN_SERVER_VERSION_NUM) {
    return fail(`server is PostgreSQL ${shown}; mcpctl needs 14 or newer`, 'upgrade the server to PostgreSQL 14 or newer (pg_upgrade, or dump and restore with `mcpctl backup`)');
  }
  return pass(`PostgreSQL ${shown} (server_version_num ${num})`);
}

/** Asks whichever connection logged in; without one, the check carries the login's failure. */
export async function versionCheck(s: Session, client: Client | undefined, missing: Blocker | undefined): Promise<void> {
  if (!s.want('version')) return;
  if (!client) return s.record('version', s.blockedBy(missing!), 0);
  await s.timed('version', async () => {
    const v = await serverVersion(client);
    return evaluateVersion(v.num, v.text);
  });
}
