import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { Cluster } from './cluster.js';

export function harness() {
  return inject('pg');
}

/** A unique lower-case identifier (roles and databases are cluster-wide: tests must not collide). */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A superuser client on the shared test cluster (or on `info`). */
export async function adminClient(database = 'postgres', info = harness()): Promise<pg.Client> {
  const c = new pg.Client({ host: info.host, port: info.port, user: info.superuser, password: info.superuserPassword, database });
  await c.connect();
  return c;
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
  const c = await adminClient(database);
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** A private cluster (copied from the template) for tests that stop the server or change its settings. */
export async function privateCluster(settings: Record<string, string | number> = {}): Promise<Cluster> {
  const h = harness();
  const c = await Cluster.create({
    baseDir: path.join(h.baseDir, uniqueName('c')),
    superuserPassword: h.superuserPassword,
    templateDataDir: h.templateDataDir,
  });
  await c.start({ settings });
  return c;
}

/** Drops roles and databases a test created (databases first; ignores missing ones). */
export async function dropAll(opts: { databases?: string[]; roles?: string[] }): Promise<void> {
  const c = await adminClient();
  try {
    for (const d of opts.databases ?? []) await c.query(`DROP DATABASE IF EXISTS "${d}" WITH (FORCE)`);
    for (const r of opts.roles ?? []) await c.query(`DROP ROLE IF EXISTS "${r}"`);
  } finally {
    await c.end();
  }
}
