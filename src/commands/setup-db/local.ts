/**
 * setup-db and the local cluster of `mcpctl db`: `--local` starts it when needed and hands its
 * address and superuser to setup-db; without `--local`, a connection that nobody answers — to
 * a server the configuration does not name — ends with a hint to use it.
 */
import path from 'node:path';
import type { LoadedConfig } from '../../lib/config/load.js';
import { UserError } from '../../lib/errors.js';
import { readSuperuserPassword } from '../../lib/local-cluster.js';
import { PgConnectError } from '../../lib/pg.js';
import type { DbDeps } from '../db/status.js';
import type { LocalServer } from './types.js';

/** Starts the local cluster when needed (downloading binaries only when allowed) and describes it as setup-db's server. */
export async function ensureLocalServer(deps: DbDeps, o: { download?: boolean }): Promise<LocalServer & { started: boolean }> {
  const { runDbStart } = await import('../db/run-start.js');
  const { localLayout } = await import('../../lib/local-cluster.js');
  const r = await runDbStart(deps, { download: o.download });
  const adminPassword = readSuperuserPassword(localLayout(deps.ctx.env, deps.ctx.home));
  if (!adminPassword || !r.port) throw new UserError(`the local cluster's password file ${r.passwordFile} is missing`, { hint: 'restore it, or start over: mcpctl db destroy --confirm destroy' });
  return { host: r.host, port: r.port, adminUser: r.superuser, adminPassword, started: r.changed };
}

/** A refused connection to the default server (nothing configured) suggests `--local`. */
export function suggestLocal(e: unknown, loaded: LoadedConfig): unknown {
  if (!(e instanceof PgConnectError) || (e.kind !== 'refused' && e.kind !== 'no-host')) return e;
  const configured = (['POSTGRES_HOST', 'POSTGRES_PORT'] as const).some((k) => loaded.resolved[k].source?.kind !== 'default');
  if (configured) return e;
  return new PgConnectError(e.kind, `${e.message} (no PostgreSQL server answers there, and the configuration names none)`, `run a local one for your projects: mcpctl setup-db --local (or start your server, or set POSTGRES_HOST and POSTGRES_PORT)`, {
    serverMessage: e.serverMessage,
    sqlState: e.sqlState,
    target: { ...e.target, sslmode: loaded.values.POSTGRES_SSLMODE },
    note: e.note,
    cause: e,
  });
}

/**
 * How to get pgvector for the installation the local cluster runs from: PostgreSQL looks for
 * vector.control in that installation's share/extension folder, so the fix depends on who made it.
 */
export function pgvectorHintFor(binDir: string, major: number, cacheDir: string): string {
  const then = 'then run `mcpctl setup-db --local --with-pgvector` again';
  if (binDir.startsWith(cacheDir + path.sep)) {
    return (
      `the local cluster runs a PostgreSQL ${major} build downloaded from npm (${binDir}), which has no pgvector and no pg_config to build it with: ` +
      `install PostgreSQL ${major} with pgvector from your package manager (Debian/Ubuntu: apt install postgresql-${major} postgresql-${major}-pgvector; macOS: brew install postgresql@${major} pgvector), ` +
      'then move to it: mcpctl backup; mcpctl db destroy --confirm destroy; mcpctl setup-db --local --with-pgvector; mcpctl backup restore <file>'
    );
  }
  if (/^\/usr\/lib\/postgresql\/\d+\/bin$/.test(binDir)) return `install it for that server: apt install postgresql-${major}-pgvector (Debian/Ubuntu, with the PostgreSQL apt repository for older releases); ${then}`;
  if (/^\/usr\/pgsql-\d+\/bin$/.test(binDir)) return `install it for that server: dnf install pgvector_${major} (from the PostgreSQL yum repository); ${then}`;
  if (/homebrew|\/usr\/local\/(opt|Cellar)\//.test(binDir)) return `install it with Homebrew: brew install pgvector (it builds for Homebrew's postgresql@${major}); ${then}`;
  if (binDir.includes('Postgres.app')) return `Postgres.app ships pgvector in its current versions: update Postgres.app; ${then}`;
  return `build it against that installation: git clone https://github.com/pgvector/pgvector && cd pgvector && make PG_CONFIG=${path.join(binDir, 'pg_config')} && make install PG_CONFIG=${path.join(binDir, 'pg_config')} (it puts vector.control into the installation's share/extension); ${then}`;
}
