/**
 * The last statements of every restore, sent by mcpctl after the guarded stream and before its
 * own COMMIT, in the same psql session and transaction (review A2).
 *
 * The guard (psql-guard.ts) keeps psql to SQL, but the SQL runs as the app role, which may own
 * other databases and can always change itself: `ALTER ROLE CURRENT_USER PASSWORD …`, role and
 * database settings, `ALTER DATABASE other RENAME/OWNER`, `REASSIGN OWNED`, `COMMENT ON DATABASE`
 * — directly, or hidden in a function called by a SELECT, a DO block, a trigger, a CHECK
 * constraint or a column default fired during COPY. No word list can see all of that. What every
 * such change has in common: it writes a shared catalog, and a write holds a lock stronger than
 * AccessShareLock on that catalog until the transaction ends (measured on PostgreSQL 14, 15 and
 * 17, see tests/integration/backup-restore-a2.test.ts). So the check refuses the commit when this
 * backend holds one; psql (ON_ERROR_STOP) then exits 3 and the transaction rolls back.
 *
 * Made immune to what the script left behind: deferred triggers fire now (SET CONSTRAINTS ALL
 * IMMEDIATE), not after the check at COMMIT; cursors WITH HOLD, whose queries COMMIT would run
 * to the end, are closed; the role and search_path are reset; every name is schema-qualified and
 * every operator is pg_catalog's. User code that could still run at COMMIT — a deferrable
 * constraint trigger, a deferrable constraint over expressions, a deferrable foreign key beside a
 * user-written cast — can re-defer itself while SET CONSTRAINTS runs and act after the check
 * (reproduced), so a database holding one is refused too; pg_dump output of ordinary schemas
 * (deferrable foreign keys included) has none of them.
 */
import type { Client } from 'pg';
import { UserError } from '../../lib/cli/errors.js';

/** What psql's error text starts with when the check refused the commit. */
const TAG = 'mcpctl-restore-check:';

/**
 * Shared catalogs a restore must never write: pg_authid, pg_auth_members, pg_database,
 * pg_db_role_setting, pg_tablespace, pg_shdescription, pg_shseclabel, pg_replication_origin,
 * pg_subscription, pg_parameter_acl (15+). Fixed OIDs (pg_*.h), the same in every release. Not
 * pg_shdepend: owners and GRANTs inside the target database record themselves there.
 */
export const SHARED_CATALOG_OIDS = [1260, 1261, 1262, 2964, 1213, 2396, 3592, 6000, 6100, 6243];

/** The statements, on their own lines after the script (the guard proved it ended between statements). */
export const RESTORE_CHECK_SQL = `
SET CONSTRAINTS ALL IMMEDIATE;
CLOSE ALL;
RESET ROLE;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $mcpctl_check$
DECLARE
  wrote pg_catalog.text;
BEGIN
  SELECT pg_catalog.string_agg(DISTINCT c.relname OPERATOR(pg_catalog.||) '', ', ') INTO wrote
    FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) l.relation
   WHERE l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
     AND l.locktype OPERATOR(pg_catalog.=) 'relation'
     AND l.database OPERATOR(pg_catalog.=) 0::pg_catalog.oid
     AND l.relation OPERATOR(pg_catalog.=) ANY ('{${SHARED_CATALOG_OIDS.join(',')}}'::pg_catalog.oid[])
     AND l.mode OPERATOR(pg_catalog.<>) 'AccessShareLock';
  IF wrote IS NOT NULL THEN
    RAISE EXCEPTION '${TAG} the backup changed % (roles or other databases)', wrote;
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.tgdeferrable AND NOT t.tgisinternal)
  OR EXISTS (SELECT FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) k.conindid
              WHERE k.condeferrable AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL))
  OR (EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.condeferrable AND k.contype OPERATOR(pg_catalog.=) 'f')
      AND EXISTS (SELECT FROM pg_catalog.pg_cast k JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) k.castfunc
                   JOIN pg_catalog.pg_language g ON g.oid OPERATOR(pg_catalog.=) p.prolang
                  WHERE k.castfunc OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid AND g.lanname OPERATOR(pg_catalog.<>) ALL ('{internal,c}'::pg_catalog.name[])))
  THEN
    RAISE EXCEPTION '${TAG} the backup defines a deferrable constraint that runs its own code at COMMIT, after this check';
  END IF;
END
$mcpctl_check$;
`;

/**
 * The second half of the check: a digest of what the app role can see of the shared state it
 * could change — its databases (name, owner, limits, ACL), their and its settings, comments,
 * its role attributes and memberships — taken before the script by `sharedStateSql('before')`
 * and compared in the same psql session right before COMMIT. Needed because not every such
 * write keeps its lock: on PostgreSQL 17, `REASSIGN OWNED BY me TO group` hands the role's
 * databases over and releases pg_database's lock at once (measured). The values travel as psql
 * variables (`psql -v`), which the script cannot touch: the guard refuses backslash commands and
 * `:mcpctl…` references.
 */
export function sharedStateSql(dbs: string): string {
  const me = '(SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) SESSION_USER)';
  const cat = (cols: string) => `pg_catalog.concat_ws(',', ${cols})`;
  return `pg_catalog.md5(pg_catalog.concat_ws('|',
  (SELECT pg_catalog.string_agg(${cat('d.oid, d.datname, d.datdba, d.datconnlimit, d.datallowconn, d.datistemplate, d.dattablespace, d.datacl')}, ';' ORDER BY d.oid)
     FROM pg_catalog.pg_database d WHERE d.oid OPERATOR(pg_catalog.=) ANY ((${dbs})::pg_catalog.oid[])),
  (SELECT pg_catalog.string_agg(${cat('s.setdatabase, s.setrole, s.setconfig')}, ';' ORDER BY s.setdatabase, s.setrole)
     FROM pg_catalog.pg_db_role_setting s WHERE s.setrole OPERATOR(pg_catalog.=) ${me} OR s.setdatabase OPERATOR(pg_catalog.=) ANY ((${dbs})::pg_catalog.oid[])),
  (SELECT pg_catalog.string_agg(${cat('x.classoid, x.objoid, x.description')}, ';' ORDER BY x.classoid, x.objoid)
     FROM pg_catalog.pg_shdescription x WHERE x.objoid OPERATOR(pg_catalog.=) ${me} OR x.objoid OPERATOR(pg_catalog.=) ANY ((${dbs})::pg_catalog.oid[])),
  (SELECT ${cat('r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolconnlimit, r.rolvaliduntil, r.rolbypassrls, r.rolconfig')}
     FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) ${me}),
  (SELECT pg_catalog.string_agg(${cat('m.roleid, m.member, m.admin_option')}, ';' ORDER BY m.roleid, m.member)
     FROM pg_catalog.pg_auth_members m WHERE m.member OPERATOR(pg_catalog.=) ${me} OR m.roleid OPERATOR(pg_catalog.=) ${me})))`;
}

/** Run before the restore, as the app user: the role's databases (`{oid,…}`) and the digest, for `psql -v mcpctl_dbs=… -v mcpctl_shared=…`. */
export const SHARED_BEFORE_SQL = (() => {
  const dbs = `(SELECT COALESCE(pg_catalog.array_agg(d.oid ORDER BY d.oid), '{}') FROM pg_catalog.pg_database d
    WHERE d.datdba OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) SESSION_USER))`;
  return `SELECT ${dbs}::pg_catalog.text, ${sharedStateSql(dbs)}`;
})();

/** The shared state before the restore: what `psql -v` passes to the check before COMMIT. */
export interface SharedBefore {
  dbs: string;
  digest: string;
}

/**
 * Takes the digest on a connection mcpctl already has, as the same app user (the catalogs it
 * reads are shared: any database of the cluster gives the same answer). Only digits, braces,
 * commas and hex come back, which reach psql's argv as they are.
 */
export async function sharedStateBefore(c: Client): Promise<SharedBefore> {
  const r = await c.query<[string | null, string | null]>({ text: SHARED_BEFORE_SQL, rowMode: 'array' });
  const [dbs, digest] = r.rows[0] ?? [];
  if (!dbs || !digest || !/^\{[0-9,]*\}$/.test(dbs) || !/^[0-9a-f]{32}$/.test(digest)) {
    throw new UserError(`cannot read the app user's databases before the restore: the server gave no usable answer`, { hint: 'nothing was restored' });
  }
  return { dbs, digest };
}

/** After the lock check, before COMMIT: psql leaves (the transaction rolls back) when the digest changed. */
export const SHARED_AFTER_SQL = `SELECT ${sharedStateSql(":'mcpctl_dbs'")} OPERATOR(pg_catalog.<>) :'mcpctl_shared' AS mcpctl_changed \\gset
\\if :mcpctl_changed
\\warn '${TAG} the backup changed a database or role outside the target (owner, name, settings, grants, comments or memberships)'
\\q
\\endif
`;

/** The check's refusal in psql's error text, as the error restore reports; undefined when it is not there. */
export function checkRefusal(psqlErr: string): UserError | undefined {
  const at = psqlErr.indexOf(TAG);
  if (at < 0) return undefined;
  const why = psqlErr.slice(at + TAG.length).split('\n')[0]!.trim();
  return new UserError(`refusing to restore: ${why}; a restore may change only the target database`, {
    code: 'unsafe-backup',
    hint: 'nothing was restored (the transaction was rolled back). Inspect the file, or restore a backup made by pg_dump/mcpctl',
  });
}
