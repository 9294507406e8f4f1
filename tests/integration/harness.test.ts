import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { adminQuery, harness, privateCluster } from '../helpers/pg.js';

describe('test harness', () => {
  it('runs a scram-sha-256 cluster that rejects a wrong password', async () => {
    const h = harness();
    const rows = await adminQuery<{ method: string }>("SELECT DISTINCT auth_method AS method FROM pg_hba_file_rules WHERE type IN ('host','local')");
    expect(rows.map((r) => r.method)).toEqual(['scram-sha-256']);
    const c = new pg.Client({ host: h.host, port: h.port, user: h.superuser, password: 'wrong-password', database: 'postgres' });
    await expect(c.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('gives a private cluster that can be stopped', async () => {
    const c = await privateCluster({ log_statement: 'all' });
    try {
      const h = harness();
      const client = new pg.Client({ host: c.info.host, port: c.info.port, user: h.superuser, password: h.superuserPassword, database: 'postgres' });
      await client.connect();
      const r = await client.query<{ s: string }>("SELECT current_setting('log_statement') AS s");
      await client.end();
      expect(r.rows[0]!.s).toBe('all');
      await c.stop();
      const again = new pg.Client({ host: c.info.host, port: c.info.port, user: h.superuser, password: h.superuserPassword, database: 'postgres' });
      await expect(again.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await c.destroy();
    }
  });
});
