/**
 * `mcpctl setup-db`: from an empty server to a working app role, its two databases, the
 * registry schema and the credential files — idempotently. Under one advisory lock per
 * server: inspect (read only) → planSetup (pure) → apply. Everything that can refuse does so
 * in the plan, before the first change; --dry-run stops after the plan.
 */
import path from 'node:path';
import type { Client } from 'pg';
import { advisoryKey, withAdvisoryLock } from '../../lib/advisory-lock.js';
import { formatIssue, loadConfig, type LoadedConfig } from '../../lib/config/load.js';
import type { Context } from '../../lib/context.js';
import { InterruptedError, RefusedError } from '../../lib/errors.js';
import { loadMigrations } from '../../lib/migrations.js';
import { generatePassword } from '../../lib/password.js';
import { connect } from '../../lib/pg.js';
import { registerSecret } from '../../lib/redact.js';
import { scramVerifier } from '../../lib/scram.js';
import { applyPlan } from './apply.js';
import { inspectGit, planFiles } from './files.js';
import { inspectDatabase, inspectPasswords, inspectServer } from './inspect.js';
import { planSetup } from './plan.js';
import { checkRoles, checkServer, connectAdmin } from './server.js';
import type { DatabaseState, LocalServer, SetupDbDeps, SetupDbOptions, SetupDbResult, SetupState } from './types.js';
import { suggestLocal } from './local.js';

export type { SetupDbDeps, SetupDbOptions, SetupDbResult } from './types.js';

const LOCK_NAME = 'mcpctl setup-db';

/**
 * Loads configuration; with --rotate-password the new password stands in for a bad stored one;
 * with --local the local cluster is the server and its superuser the admin.
 */
async function loadFor(ctx: Context, rotated: string | undefined, local: LocalServer | undefined): Promise<LoadedConfig> {
  const l = local ? { POSTGRES_HOST: local.host, POSTGRES_PORT: String(local.port), SETUP_POSTGRES_USER: local.adminUser, SETUP_POSTGRES_PASSWORD: local.adminPassword } : {};
  return loadConfig({
    cwd: ctx.cwd,
    env: ctx.env,
    flags: { ...(rotated ? { POSTGRES_PASSWORD: rotated } : {}), ...l },
    flagNames: { POSTGRES_PASSWORD: '--rotate-password', POSTGRES_HOST: '--local', POSTGRES_PORT: '--local', SETUP_POSTGRES_USER: '--local', SETUP_POSTGRES_PASSWORD: '--local' },
  });
}

export async function runSetupDb(deps: SetupDbDeps, options: SetupDbOptions = {}): Promise<SetupDbResult> {
  const { ctx } = deps;
  const progress = deps.onProgress ?? (() => undefined);
  const log = deps.log ?? (() => undefined);
  const newPassword = generatePassword();
  registerSecret(newPassword);
  const loaded = await loadFor(ctx, options.rotatePassword ? newPassword : undefined, options.local);
  for (const w of loaded.warnings) deps.onWarning?.(formatIssue(w));
  const cfg = loaded.values;
  const migrations = await loadMigrations(path.resolve(ctx.cwd, options.migrationsDir ?? 'migrations'));
  const dbNames = [...new Set([cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB])];
  checkRoles(cfg);
  if (options.reset && !options.dryRun) {
    const message = `--reset drops the databases ${dbNames.join(' and ')} with all their data, then recreates them.`;
    // Without a way to confirm, the answer is no: a destructive default must refuse.
    if (!deps.confirmTyped) throw new RefusedError(`confirmation needed: ${message}`, { hint: `pass --confirm ${cfg.POSTGRES_DB} to confirm` });
    await deps.confirmTyped(message, cfg.POSTGRES_DB, options.confirm);
  }

  // git is asked while the server is: both are read-only looks.
  const gitFacts = inspectGit(ctx, log);
  gitFacts.catch(() => undefined);
  if (ctx.signal.aborted) throw new InterruptedError('interrupted before connecting; nothing was changed');
  progress(`connecting to ${cfg.POSTGRES_HOST}:${cfg.POSTGRES_PORT} as ${cfg.SETUP_POSTGRES_USER}`);
  const admin = await connectAdmin(cfg, ctx, deps.promptSecret).catch((e: unknown) => {
    throw suggestLocal(e, loaded);
  });
  const dbClients = new Map<string, Promise<Client>>();
  // On Ctrl-C, a running migration is cancelled server-side (the admin connection is idle then).
  const running = new Set<number>();
  const onAbort = () => {
    for (const pid of running) void admin.client.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', onAbort);
  const adminIn = (database: string): Promise<Client> => {
    let c = dbClients.get(database);
    if (!c) {
      c = connect({ ...admin.target, database });
      dbClients.set(database, c);
    }
    return c;
  };
  try {
    return await withAdvisoryLock(admin.client, advisoryKey(LOCK_NAME), () => work(), {
      signal: ctx.signal,
      onWait: () => progress('waiting for another setup-db run on this server'),
    });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    // Every connection is closed on every path, also those whose opening failed or still runs.
    await Promise.allSettled([...dbClients.values()].map(async (p) => (await p).end()));
    await admin.client.end().catch(() => undefined);
  }

  async function work(): Promise<SetupDbResult> {
    progress('inspecting the server, the databases and the stored app password');
    const server = await inspectServer(admin.client, cfg);
    checkServer(server.server);
    const kept = dbNames.filter((db) => server.owners.has(db));
    const inspected = await Promise.allSettled(kept.map(async (db) => [db, await inspectDatabase(await adminIn(db), server.owners.get(db)!, migrations)] as const));
    const failed = inspected.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const databases = new Map<string, DatabaseState>(inspected.map((s) => (s as PromiseFulfilledResult<readonly [string, DatabaseState]>).value));
    const passwords = await inspectPasswords(cfg, loaded, ctx, {
      roleCanLogin: server.role?.canLogin === true,
      loginDb: kept[0] ?? 'postgres',
      rotate: options.rotatePassword === true,
    });
    const state: SetupState = { server: server.server, role: server.role, databases, ...passwords };
    const plan = planSetup(state, cfg, { ...options, migrations, newPassword });
    if (options.rotatePassword && loaded.resolved.POSTGRES_PASSWORD.overridden.some((o) => o.source.kind === 'environment')) {
      plan.warnings.push('POSTGRES_PASSWORD is set in the environment and overrides .env.local: update it to the new password (see .env.local)');
    }
    const password = plan.password.value;
    registerSecret(password);
    const verifier = plan.password.changesRole ? scramVerifier(password) : undefined;
    registerSecret(verifier);
    // Files are planned (and refused) now, before the first change on the server.
    const localKeys = options.local ? { POSTGRES_HOST: options.local.host, POSTGRES_PORT: String(options.local.port) } : undefined;
    const files = plan.refusals.length && !password ? [] : await planFiles(cfg, ctx, password, await gitFacts, { pinConnection: !loaded.connectionKeysSet, extraEnv: localKeys });
    plan.warnings.push(...((await gitFacts).warnings ?? []), ...files.flatMap((f) => f.warnings ?? []));

    // Nothing to write and no password change: the plan shows no file step.
    if (!plan.password.changesRole && files.every((f) => f.action === 'unchanged')) plan.steps = plan.steps.filter((s) => s.kind !== 'write-files');

    const result: SetupDbResult = {
      ok: true,
      dryRun: options.dryRun === true,
      changed: false,
      project: ctx.cwd,
      server: { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, version: state.server.version, admin: state.server.admin.name, adminPasswordFrom: admin.passwordSource },
      role: { name: cfg.POSTGRES_USER, state: plan.role.state, password: plan.password.action, passwordFrom: plan.password.source },
      databases: plan.databases,
      extensions: plan.extensions,
      migrations: plan.migrations,
      files: files.map((f) => ({ kind: f.kind, path: f.path, action: f.action, detail: f.detail })),
      passwordStoredIn: files.filter((f) => f.kind !== 'gitignore').map((f) => f.path),
      adopted: [],
      steps: plan.steps,
      warnings: plan.warnings,
      refusals: plan.refusals.map((r) => ({ message: r.message, hint: r.hint, exitCode: r.exitCode })),
    };
    if (options.dryRun) return result;
    if (plan.refusals.length) throw plan.refusals[0];

    const { adopted } = await applyPlan(
      { cfg, ctx, admin: admin.client, adminTarget: admin.target, adminIsSuperuser: state.server.admin.superuser, adminIn, running, migrations, files, verifier, progress, log },
      plan,
    );
    result.adopted = adopted;
    result.files = files.map((f) => ({ kind: f.kind, path: f.path, action: f.written ? f.action : 'unchanged', detail: f.detail }));
    const applied = (db: string | undefined) => plan.migrations.find((m) => m.database === db)?.applied.length ?? 0;
    result.changed = plan.steps.some((s) => s.done && !['write-files', 'clear-pending', 'migrate'].includes(s.kind)) || plan.steps.some((s) => s.kind === 'migrate' && applied(s.database) > 0) || files.some((f) => f.written);
    return result;
  }
}

