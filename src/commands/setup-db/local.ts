/**
 * setup-db and the local cluster of `mcpctl db`: `--local` starts it when needed and hands its
 * address and superuser to setup-db; without `--local`, a connection that nobody answers — to
 * a server the configuration does not name — ends with a hint to use it.
 */
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
