/**
 * `mcpctl setup-db`: from an empty server to a working app role, its two databases, the
 * registry schema and the credential files — idempotently. Under one advisory lock per
 * server: inspect (read only) → planSetup (pure) → apply. Everything that can refuse does so
 * in the plan, before the first change; --dry-run stops after the plan.
 */
import path from 'node:path';
import type { Client } from 'pg';
import { advisoryKey, withAdvisoryLock } from './advisory-lock.js';
import type { LoadedConfig, LoadOptions } from '../../lib/config/load.js';
import { InterruptedError } from '../../lib/cli/errors.js';
import { loadMigrations, type Migration } from '../../lib/pg/migrations.js';
import { generatePassword } from './password.js';
import { connect } from '../../lib/pg/client.js';
import { scramVerifier } from './scram.js';
import { applyPlan } from './apply.js';
import { inspectGit, planFiles, type FilePlan } from './files.js';
import { inspectDatabase, inspectPasswords, inspectServer } from './inspect.js';
import { planSetup } from './plan.js';
import { checkRoles, checkServer, connectAdmin } from './server.js';
import type { DatabaseState, LocalServer, SetupDbDeps, SetupDbOptions, SetupDbResult, SetupPlan, SetupState } from './types.js';
import { suggestLocal } from './local.js';

export type { SetupDbDeps, SetupDbEvent, SetupDbOptions, SetupDbResult } from './types.js';

const LOCK_NAME = 'mcpctl setup-db';

/**
 * The configuration overrides of a run, for `loadConfig`: with --rotate-password the new
 * password stands in for a bad stored one; with --local the local cluster is the server and
 * its superuser the admin.
 */
export function setupDbConfigFlags(rotated: string | undefined, local: LocalServer | undefined): Required<Pick<LoadOptions, 'flags' | 'flagNames'>> {
  const l = local ? { POSTGRES_HOST: local.host, POSTGRES_PORT: String(local.port), SETUP_POSTGRES_USER: local.adminUser, SETUP_POSTGRES_PASSWORD: local.adminPassword } : {};
  return {
    flags: { ...(rotated ? { POSTGRES_PASSWORD: rotated } : {}), ...l },
    flagNames: { POSTGRES_PASSWORD: '--rotate-password', POSTGRES_HOST: '--local', POSTGRES_PORT: '--local', SETUP_POSTGRES_USER: '--local', SETUP_POSTGRES_PASSWORD: '--local' },
  };
}

export async function runSetupDb(deps: SetupDbDeps, options: SetupDbOptions = {}): Promise<SetupDbResult> {
  const { ctx } = deps;
  const progress = (text: string) => deps.events({ type: 'progress', text });
  const log = (text: string) => deps.events({ type: 'debug', text });
  const newPassword = options.newPassword ?? generatePassword();
  ctx.secrets.add(newPassword);
  const loaded = deps.config;
  const cfg = loaded.values;
  const migrations = await loadMigrations(path.resolve(ctx.cwd, options.migrationsDir ?? 'migrations'));
  const dbNames = [...new Set([cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB])];
  checkRoles(cfg);
  if (options.reset && !options.dryRun) {
    const message = `--reset drops the databases ${dbNames.join(' and ')} with all their data, then recreates them.`;
    // The prompter refuses when nobody can answer: a destructive default must not be "yes".
    await deps.prompter.typed(message, cfg.POSTGRES_DB, { flag: '--confirm', given: options.confirm });
  }

  // git is asked while the server is: both are read-only looks.
  const gitFacts = inspectGit(ctx, log);
  gitFacts.catch(() => undefined);
  if (ctx.signal.aborted) throw new InterruptedError('interrupted before connecting; nothing was changed');
  progress(`connecting to ${cfg.POSTGRES_HOST}:${cfg.POSTGRES_PORT} as ${cfg.SETUP_POSTGRES_USER}`);
  const admin = await connectAdmin(cfg, ctx, (m) => deps.prompter.secret(m)).catch((e: unknown) => {
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
    const w: Work = { deps, options, ctx, loaded, cfg, migrations, newPassword, dbNames, gitFacts, admin, adminIn, running, progress, log };
    return await withAdvisoryLock(admin.client, advisoryKey(LOCK_NAME), () => work(w), {
      signal: ctx.signal,
      onWait: () => progress('waiting for another setup-db run on this server'),
    });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    // Every connection is closed on every path, also those whose opening failed or still runs.
    await Promise.allSettled([...dbClients.values()].map(async (p) => (await p).end()));
    await admin.client.end().catch(() => undefined);
  }
}

/** What one locked setup-db run works with: its inputs and its admin connections. */
interface Work {
  deps: SetupDbDeps;
  options: SetupDbOptions;
  ctx: SetupDbDeps['ctx'];
  loaded: LoadedConfig;
  cfg: LoadedConfig['values'];
  migrations: Migration[];
  newPassword: string;
  dbNames: string[];
  gitFacts: ReturnType<typeof inspectGit>;
  admin: Awaited<ReturnType<typeof connectAdmin>>;
  adminIn: (database: string) => Promise<Client>;
  running: Set<number>;
  progress: (text: string) => void;
  log: (line: string) => void;
}

/** Under the lock: inspect, plan (refusals before any change), then apply unless --dry-run. */
async function work(w: Work): Promise<SetupDbResult> {
  const { ctx, cfg, options, admin } = w;
  const state = await inspectState(w);
  const { plan, files, verifier } = await planAll(w, state);
  // Said once, as events, before any change (and before a refusal ends the run).
  for (const text of plan.warnings) w.deps.events({ type: 'warning', text });
  const result = resultOf(w, state, plan, files);
  if (options.dryRun) return result;
  if (plan.refusals.length) throw plan.refusals[0];

  const { adopted } = await applyPlan(
    { cfg, ctx, admin: admin.client, adminTarget: admin.target, adminIsSuperuser: state.server.admin.superuser, adminIn: w.adminIn, running: w.running, migrations: w.migrations, files, verifier, progress: w.progress, log: w.log },
    plan,
  );
  result.adopted = adopted;
  result.files = files.map((f) => ({ kind: f.kind, path: f.path, action: f.written ? f.action : 'unchanged', detail: f.detail }));
  const applied = (db: string | undefined) => plan.migrations.find((m) => m.database === db)?.applied.length ?? 0;
  result.changed = plan.steps.some((s) => s.done && !['write-files', 'clear-pending', 'migrate'].includes(s.kind)) || plan.steps.some((s) => s.kind === 'migrate' && applied(s.database) > 0) || files.some((f) => f.written);
  return result;
}

/** The server, each existing database and the stored passwords, read only. */
async function inspectState(w: Work): Promise<SetupState> {
  const { cfg, ctx, options, loaded, admin, dbNames, migrations, adminIn, progress } = w;
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
  return state;
}

/** The pure plan, and the credential files planned (and refused) before the first change on the server. */
async function planAll(w: Work, state: SetupState): Promise<{ plan: SetupPlan; files: FilePlan[]; verifier: string | undefined }> {
  const { cfg, ctx, options, loaded, migrations, newPassword, gitFacts } = w;
  const plan = planSetup(state, cfg, { ...options, migrations, newPassword });
  if (options.rotatePassword && loaded.resolved.POSTGRES_PASSWORD.overridden.some((o) => o.source.kind === 'environment')) {
    plan.warnings.push('POSTGRES_PASSWORD is set in the environment and overrides .env.local: update it to the new password (see .env.local)');
  }
  const password = plan.password.value;
  ctx.secrets.add(password);
  const verifier = plan.password.changesRole ? scramVerifier(password) : undefined;
  ctx.secrets.add(verifier);
  // Files are planned (and refused) now, before the first change on the server.
  const localKeys = options.local ? { POSTGRES_HOST: options.local.host, POSTGRES_PORT: String(options.local.port) } : undefined;
  const files = plan.refusals.length && !password ? [] : await planFiles(cfg, ctx, password, await gitFacts, { pinConnection: !loaded.connectionKeysSet, extraEnv: localKeys });
  plan.warnings.push(...((await gitFacts).warnings ?? []), ...files.flatMap((f) => f.warnings ?? []));

  // Nothing to write and no password change: the plan shows no file step.
  if (!plan.password.changesRole && files.every((f) => f.action === 'unchanged')) plan.steps = plan.steps.filter((s) => s.kind !== 'write-files');
  return { plan, files, verifier };
}

function resultOf(w: Work, state: SetupState, plan: SetupPlan, files: FilePlan[]): SetupDbResult {
  const { cfg, ctx, options, admin } = w;
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
    refusals: plan.refusals.map((r) => ({ message: r.message, hint: r.hint, exitCode: r.exitCode })),
  };
  return result;
}
