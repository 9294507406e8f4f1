// `mcpctl verify-db` against the old way (bench/verify-db.sh: one psql per check, in
// sequence), on a local throwaway cluster with an app role, its two databases and migrations.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BIN, ROOT, compareMedians, fmt, printTable, timeOnce, withCluster } from '../lib.mjs';

export const name = 'verify-db';

export async function run() {
  const pg = (await import('pg')).default;
  const { applyMigrations, loadMigrations } = await import(path.join(ROOT, 'dist/lib/pg/migrations.js'));
  return withCluster(async (info) => {
    const project = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-bench-vdb-'));
    try {
      const role = 'bench_app';
      const password = randomBytes(24).toString('base64url');
      const admin = new pg.Client({ host: info.host, port: info.port, user: info.superuser, password: info.password, database: 'postgres' });
      await admin.connect();
      await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
      for (const db of ['bench_main', 'bench_test']) await admin.query(`CREATE DATABASE ${db} OWNER ${role}`);
      await admin.end();
      mkdirSync(path.join(project, 'migrations'));
      writeFileSync(path.join(project, 'migrations', '001_projects.sql'), 'CREATE TABLE registry.projects (id serial PRIMARY KEY, name text NOT NULL);\n');
      writeFileSync(path.join(project, 'migrations', '002_index.sql'), 'CREATE INDEX projects_name ON registry.projects (name);\n');
      const migrations = await loadMigrations(path.join(project, 'migrations'));
      for (const db of ['bench_main', 'bench_test']) {
        const c = new pg.Client({ host: info.host, port: info.port, user: role, password, database: db });
        await c.connect();
        await applyMigrations(c, migrations);
        await c.end();
      }
      const base = { PATH: process.env.PATH, HOME: project, LANG: 'C.UTF-8', POSTGRES_DB: 'bench_main', POSTGRES_TEST_DB: 'bench_test' };
      const mcpEnv = { ...base, POSTGRES_HOST: info.host, POSTGRES_PORT: String(info.port), POSTGRES_USER: role, POSTGRES_PASSWORD: password, POSTGRES_SSLMODE: 'disable', CI: 'true' };
      const shEnv = { ...base, PGHOST: info.host, PGPORT: String(info.port), PGUSER: role, PGPASSWORD: password, PGSSLMODE: 'disable', MIGRATIONS_DIR: path.join(project, 'migrations') };
      // Both must pass before they are timed (mcpctl: pgvector warns, exit 0).
      timeOnce('bash', [path.join(ROOT, 'bench/verify-db.sh')], { env: shEnv, cwd: project });
      timeOnce(process.execPath, [BIN, 'verify-db'], { env: mcpEnv, cwd: project });
      const [sh, mcp] = compareMedians(
        [
          { label: 'bench/verify-db.sh (one psql per check)', cmd: 'bash', args: [path.join(ROOT, 'bench/verify-db.sh')], opts: { env: shEnv, cwd: project } },
          { label: 'mcpctl verify-db', cmd: process.execPath, args: [BIN, 'verify-db'], opts: { env: mcpEnv, cwd: project } },
        ],
        { runs: 9, warmup: 1 },
      );
      const ratio = mcp.median / sh.median;
      printTable('verify-db (median of 9, same checks, local server)', [
        [sh.label, fmt(sh.median)],
        [mcp.label, `${fmt(mcp.median)}  (${ratio.toFixed(2)}× the script; goal ≤ 0.5×)`],
      ]);
      return { scriptMs: Math.round(sh.median), mcpctlMs: Math.round(mcp.median), ratio: Number(ratio.toFixed(3)) };
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
}
