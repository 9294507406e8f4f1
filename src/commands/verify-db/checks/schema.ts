/**
 * `schema`: the registry schema is present in both databases and every migration is applied
 * with a matching checksum. Each database is read on its own connection, in its own lane.
 */
import path from 'node:path';
import type { Client } from 'pg';
import { migrationStatus, type Migration } from '../../../lib/pg/migrations.js';
import { fail, pass, warn, type CheckOutcome } from '../../../lib/cli/report.js';
import { outcomeOf, withTimeout, type Blocker, type Session } from '../session.js';

/** One problem the schema check found, in one database. */
export interface SchemaProblem {
  db: string;
  kind: 'no-schema' | 'no-table' | 'pending' | 'changed' | 'unknown' | 'error';
  detail: string;
  hint?: string;
  /** The query is still waiting on its connection. */
  timedOut?: boolean;
}

export function problemOf(e: unknown, db: string): SchemaProblem {
  const o = outcomeOf(e);
  return { db, kind: 'error', detail: `${db}: ${o.message}`, hint: o.hint, timedOut: (e as { code?: string }).code === 'timeout' };
}

export function schemaOutcome(problems: SchemaProblem[], migrations: readonly Migration[], dbs: string[]): CheckOutcome {
  const failing = problems.filter((p) => p.kind !== 'unknown');
  const hintFor = (p: SchemaProblem) =>
    p.kind === 'changed'
      ? 'restore the applied version of the file (git checkout -- <file>) and put the change in a new migration file'
      : p.kind === 'error'
        ? p.hint
        : 'run `mcpctl setup-db` to create the registry schema and apply the migrations';
  if (failing.length) {
    const hints = [...new Set(failing.map(hintFor).filter((h): h is string => !!h))];
    return fail(failing.map((p) => p.detail).join('; '), hints.join('; '));
  }
  if (problems.length) {
    return warn(problems.map((p) => p.detail).join('; '), 'the migrations folder may be out of date (git pull), or pass --migrations <dir>');
  }
  return pass(`registry schema present in ${dbs.join(' and ')}; ${migrations.length} migration${migrations.length === 1 ? '' : 's'} applied, checksums match`);
}

async function schemaProblems(c: Client, db: string, migrations: readonly Migration[], cwd: string): Promise<SchemaProblem[]> {
  const ns = await c.query<{ ok: boolean }>("SELECT to_regnamespace('registry') IS NOT NULL AS ok");
  if (!ns.rows[0]?.ok) return [{ db, kind: 'no-schema', detail: `schema registry missing in ${db}` }];
  const st = await migrationStatus(c, migrations);
  if (!st.tablePresent) return [{ db, kind: 'no-table', detail: `registry.schema_migrations missing in ${db}` }];
  const rel = (m: Migration) => (m.source === 'built-in' ? `built-in ${m.version}` : path.relative(cwd, m.source) || m.source);
  const out: SchemaProblem[] = [];
  if (st.changed.length) out.push({ db, kind: 'changed', detail: `changed after it was applied in ${db}: ${st.changed.map((x) => rel(x.migration)).join(', ')}` });
  if (st.pending.length) out.push({ db, kind: 'pending', detail: `not applied in ${db}: ${st.pending.map((m) => m.version).join(', ')}` });
  if (st.unknown.length) out.push({ db, kind: 'unknown', detail: `applied in ${db} but no file: ${st.unknown.join(', ')}` });
  return out;
}

/** Reads one database's problems (the slower of the two databases is the check's time). */
export async function schemaOf(s: Session, c: Client, db: string): Promise<SchemaProblem[]> {
  const t = performance.now();
  const r = await withTimeout(schemaProblems(c, db, s.o.migrations, s.o.cwd), s.o.timeoutMs, 'schema').catch((e: unknown) => [problemOf(e, db)]);
  s.schemaMs = Math.max(s.schemaMs, performance.now() - t);
  return r;
}

/** Records `schema` once both lanes have read their database. */
export function recordSchema(s: Session, mainClient: Client | undefined, missing: Blocker | undefined): void {
  if (!s.want('schema')) return;
  if (!mainClient) return s.record('schema', s.blockedBy(missing!), 0);
  const dbs = [s.cfg.POSTGRES_DB, ...(s.schemaTest ? [s.cfg.POSTGRES_TEST_DB] : [])];
  s.record('schema', schemaOutcome([...(s.schemaMain ?? []), ...(s.schemaTest ?? [])], s.o.migrations, dbs), s.schemaMs);
}
