/**
 * `reachable`, `auth` and `databases`: decided together from the two logins (POSTGRES_DB and
 * POSTGRES_TEST_DB), so each took as long as the logins did.
 */
import type { AppPassword } from '../../../lib/config/credentials.js';
import { fail, pass } from '../../../lib/cli/report.js';
import type { Attempt, Blocker, Session } from '../session.js';

/** Kinds of connection failure that mean the server itself cannot be used. */
const UNREACHABLE = new Set(['refused', 'timeout', 'tls', 'no-host']);

export function noPasswordHint(pw: AppPassword): string {
  const why = pw.pgpassIgnored ? ` (the password file was ignored: ${pw.pgpassIgnored})` : '';
  return `no password is configured${why}: set POSTGRES_PASSWORD in .env.local, add a password-file entry, or run \`mcpctl setup-db\``;
}

/** What the later checks need to know about the logins; `stop` when no later check can run. */
export type LoginVerdict = { stop: true } | { stop: false; mainMissing: Blocker | undefined; dbBlocker: Blocker };

export function judgeLogins(s: Session, a: Attempt, b: Attempt, connectMs: number, needTest: boolean): LoginVerdict {
  const { cfg } = s;
  const where = `${cfg.POSTGRES_HOST}:${cfg.POSTGRES_PORT}`;
  const kindOf = (x: Attempt) => (x.error ? String(x.error.code) : 'ok');
  const firstUnreachable = [a, b].find((x) => x.error && (UNREACHABLE.has(kindOf(x)) || kindOf(x) === 'failed'));
  if (firstUnreachable && !a.client && !b.client) {
    const e = firstUnreachable.error!;
    s.record('reachable', fail(e.message, e.hint), connectMs);
    s.recordBlocked(['version', 'auth', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool'], { check: 'reachable', message: e.message, hint: e.hint });
    return { stop: true };
  }
  s.record('reachable', pass(`server answered at ${where}`), connectMs);

  const { pwMain, pwTest } = s.o;
  // A wrong password, a missing role and a pg_hba refusal all mean "cannot log in".
  const authFailed = [a, b].find((x) => ['auth', 'no-role', 'pg_hba'].includes(kindOf(x)));
  if (authFailed) {
    const e = authFailed.error!;
    const pw = authFailed === a ? pwMain : pwTest;
    const hint = pw.password === undefined ? noPasswordHint(pw) : e.hint;
    const db = authFailed === a ? cfg.POSTGRES_DB : cfg.POSTGRES_TEST_DB;
    const message = `${e.message} (database ${db}, password from ${pw.password === undefined ? 'nowhere: none configured' : pw.source})`;
    // auth and databases are decided by the same logins as reachable: they took as long.
    s.record('auth', fail(message, hint), connectMs);
    s.recordBlocked(['version', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool'], { check: 'auth', message, hint });
    return { stop: true };
  }
  s.record('auth', pass(`logged in as ${cfg.POSTGRES_USER} (password from ${pwMain.password === undefined ? 'nowhere: the server asked for none' : pwMain.source})`), connectMs);

  // databases: both exist and accept the app user.
  const dbProblem = (x: Attempt, db: string) => (x.error ? (x.error.message.includes(`"${db}"`) ? x.error.message : `${db}: ${x.error.message}`) : undefined);
  const dbProblems = [dbProblem(a, cfg.POSTGRES_DB), needTest ? dbProblem(b, cfg.POSTGRES_TEST_DB) : undefined].filter((p): p is string => !!p);
  const firstDbError = [a.error, b.error].find((e) => e);
  const dbHint = firstDbError?.code === 'privilege' ? `as an admin: GRANT CONNECT ON DATABASE <name> TO ${cfg.POSTGRES_USER}; or run \`mcpctl setup-db\`` : firstDbError?.hint;
  const dbMessage = dbProblems.join('; ');
  s.record('databases', dbProblems.length ? fail(dbMessage, dbHint) : pass(`${cfg.POSTGRES_DB} and ${cfg.POSTGRES_TEST_DB} exist; ${cfg.POSTGRES_USER} can connect to both`), connectMs);
  const mainMissing: Blocker | undefined = a.client ? undefined : { check: 'databases', message: dbProblem(a, cfg.POSTGRES_DB)!, hint: a.error!.hint };
  return { stop: false, mainMissing, dbBlocker: mainMissing ?? { check: 'databases', message: dbMessage, hint: dbHint } };
}
