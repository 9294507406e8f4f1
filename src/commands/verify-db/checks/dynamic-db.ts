/** `dynamic-db`: in the scratch database createdb made, create a schema and a table, write and read a row. */
import { fail, pass } from '../../../lib/cli/report.js';
import { sqlStateOf } from '../../../lib/pg/client.js';
import type { Session } from '../session.js';

/** "too many connections" (53300), raw or typed. */
const isTooMany = (e: unknown): boolean => sqlStateOf(e) === '53300';

/** `swept` notes the leftovers createdb dropped, shown here when createdb itself was not selected. */
export async function dynamicDbCheck(s: Session, swept: string): Promise<void> {
  if (!s.want('dynamic-db')) return;
  await s.timed('dynamic-db', async () => {
    const scratchTarget = { ...s.o.mainTarget, database: s.o.scratch };
    let att = await s.tryConnect(scratchTarget);
    // The pool's first attempt may hold the slots: wait for it and try once more.
    if (att.error && isTooMany(att.error) && s.want('pool')) {
      await s.poolFirstDone;
      att = await s.tryConnect(scratchTarget);
    }
    if (!att.client) throw att.error!;
    try {
      await att.client.query('CREATE SCHEMA mcpctl_check');
      await att.client.query('CREATE TABLE mcpctl_check.probe (id int PRIMARY KEY, note text NOT NULL)');
      await att.client.query("INSERT INTO mcpctl_check.probe VALUES (1, 'ok')");
      const r = await att.client.query<{ note: string }>('SELECT note FROM mcpctl_check.probe WHERE id = 1');
      if (r.rows[0]?.note !== 'ok') return fail(`read back ${JSON.stringify(r.rows[0])} instead of the row written`);
      return pass(`created a schema and a table in a new database, wrote and read a row${s.want('createdb') ? '' : swept}`);
    } finally {
      await s.close(att.client);
    }
  });
}
