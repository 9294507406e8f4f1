// Shared set-up for the backup tests: a unique app role owning a seeded database, a temp
// project pointing at it, wrapper scripts for pg_dump, and catalog/content snapshots.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/lib/config/load.js';
import { adminQuery, dropAll, harness, uniqueName } from '../helpers/pg.js';
import { pgEnv, tempProject, type TempProject } from '../helpers/project.js';

export interface App {
  role: string;
  password: string;
  db: string;
  project: TempProject;
  /** Environment for the CLI as the app user (POSTGRES_PASSWORD set). */
  env: Record<string, string>;
  databases: string[];
  config(env?: Record<string, string>): ReturnType<typeof loadConfig>;
  query<T extends pg.QueryResultRow>(sql: string, database?: string): Promise<T[]>;
  cleanup(): Promise<void>;
}

/** A role (LOGIN CREATEDB, password) and a database it owns; seeded when `seed` is true. */
export async function makeApp(opts: { seed?: boolean } = {}): Promise<App> {
  const h = harness();
  const role = uniqueName('bkrole');
  const db = uniqueName('bkdb');
  const password = randomBytes(18).toString('base64url');
  await adminQuery(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
  await adminQuery(`CREATE DATABASE ${db} OWNER ${role}`);
  const project = await tempProject();
  const env = { ...project.env, ...pgEnv(h, { POSTGRES_USER: role, POSTGRES_PASSWORD: password, POSTGRES_DB: db }) };
  const databases = [db];
  const app: App = {
    role,
    password,
    db,
    project,
    env,
    databases,
    config: (e = env) => loadConfig({ cwd: project.dir, env: e }),
    query: async <T extends pg.QueryResultRow>(sql: string, database = db) => {
      const c = new pg.Client({ host: h.host, port: h.port, user: role, password, database });
      await c.connect();
      try {
        return (await c.query<T>(sql)).rows;
      } finally {
        await c.end();
      }
    },
    cleanup: async () => {
      // Databases the tests created by restoring, too.
      const extra = await adminQuery<{ datname: string }>('SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)', [role]);
      await dropAll({ databases: [...new Set([...databases, ...extra.map((r) => r.datname)])], roles: [role] });
      await project.cleanup();
    },
  };
  if (opts.seed) await app.query(SEED_SQL);
  return app;
}

/** Several tables, types, constraints and indexes, and a few thousand rows. */
export const SEED_SQL = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SCHEMA extra;
CREATE TABLE projects (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) > 0),
  meta jsonb NOT NULL DEFAULT '{}',
  created timestamptz NOT NULL DEFAULT '2026-01-01 00:00:00+00',
  budget numeric(12,2),
  tags text[],
  feeling mood
);
CREATE TABLE items (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  payload bytea,
  uid uuid NOT NULL,
  note varchar(200),
  done boolean NOT NULL DEFAULT false
);
CREATE INDEX items_project_idx ON items (project_id) WHERE NOT done;
CREATE INDEX projects_meta_gin ON projects USING gin (meta);
CREATE TABLE extra."Weird Name" (k text PRIMARY KEY, v double precision);
CREATE TABLE empty_one (a int);
CREATE VIEW open_items AS SELECT * FROM items WHERE NOT done;
INSERT INTO projects (name, meta, budget, tags, feeling)
  SELECT 'p' || g, jsonb_build_object('n', g, 's', repeat('x', g % 7)), g * 1.25, ARRAY['a' || g, 'tab	and ''quote'''], (ARRAY['sad','ok','happy'])[1 + g % 3]::mood
  FROM generate_series(1, 500) g;
INSERT INTO items (project_id, payload, uid, note, done)
  SELECT 1 + g % 500, decode(md5(g::text), 'hex'), md5(g::text)::uuid, CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g || E'\\n line' END, g % 3 = 0
  FROM generate_series(1, 3000) g;
INSERT INTO extra."Weird Name" SELECT 'k' || g, g / 3.0 FROM generate_series(1, 200) g;
`;

/** Tables, columns, constraints and indexes from the catalogs, and each table's contents. */
export async function describeDb(app: App, database: string): Promise<Record<string, unknown>> {
  const h = harness();
  const c = new pg.Client({ host: h.host, port: h.port, user: app.role, password: app.password, database });
  await c.connect();
  try {
    return await describeWith(<T extends pg.QueryResultRow>(sql: string) => c.query<T>(sql).then((r) => r.rows));
  } finally {
    await c.end();
  }
}

async function describeWith(q: <T extends pg.QueryResultRow>(sql: string) => Promise<T[]>): Promise<Record<string, unknown>> {
  const user = `n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'`;
  const columns = await q(`SELECT table_schema, table_name, column_name, data_type, udt_name, is_nullable, column_default, is_identity
    FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog','information_schema') ORDER BY 1,2,3`);
  const constraints = await q(`SELECT n.nspname, c.conrelid::regclass::text AS rel, c.conname, c.contype, pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE ${user} ORDER BY 1,2,3`);
  const indexes = await q(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1,2,3`);
  const types = await q(`SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text AS labels FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1`);
  const views = await q(`SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1`);
  const tables = await q<{ name: string }>(`SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND ${user} ORDER BY 1`);
  const contents: Record<string, unknown> = {};
  for (const { name } of tables) {
    const [r] = await q<{ n: string; h: string | null }>(`SELECT count(*)::text AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${name} t`);
    contents[name] = r;
  }
  return { columns, constraints, indexes, types, views, contents };
}

/** A folder with a `pg_dump` (or other tool) script to put first on PATH; `$REAL` is the real one. */
export async function pgDumpWrapper(project: TempProject, body: string, tool = 'pg_dump'): Promise<{ env: Record<string, string>; dir: string }> {
  const dir = path.join(path.dirname(project.dir), `wrap-${randomBytes(3).toString('hex')}`);
  await fs.mkdir(dir);
  const real = await realPath(tool, project.env.PATH!);
  await fs.writeFile(path.join(dir, tool), `#!/bin/sh\nREAL=${real}\n${body}\n`, { mode: 0o755 });
  return { dir, env: { PATH: `${dir}:${project.env.PATH}` } };
}

async function realPath(tool: string, PATH: string): Promise<string> {
  for (const d of PATH.split(':')) {
    const p = path.join(d, tool);
    if (await fs.access(p, fs.constants?.X_OK ?? 1).then(() => true, () => false)) return p;
  }
  throw new Error(`${tool} not on PATH`);
}

/** Every file in a folder, hidden ones included. */
export async function filesIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}
