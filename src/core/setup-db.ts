/**
 * `mcpctl setup-db`: from an empty server to a working app role, its two databases, the
 * registry schema and the credential files — idempotently. Order of work, under one
 * advisory lock: inspect (read only) → role → password → databases → extensions →
 * migrations → files. Everything that can refuse does so before the first change.
 */
import path from 'node:path';
import type { Client } from 'pg';
import { advisoryKey, withAdvisoryLock } from '../lib/advisory-lock.js';
import { formatIssue, loadConfig, type LoadedConfig } from '../lib/config/load.js';
import type { Config } from '../lib/config/keys.js';
import type { Context } from '../lib/context.js';
import { InterruptedError, UserError } from '../lib/errors.js';
import { applyMigrations, changedMigrationError, loadMigrations, migrationStatus, type Migration } from '../lib/migrations.js';
import { generatePassword } from '../lib/password.js';
import { appTarget, classifyPgError, connect, describePgError, quoteIdent, quoteLiteral, withClient } from '../lib/pg.js';
import { passwordFromFile } from '../lib/credentials.js';
import { registerSecret } from '../lib/redact.js';
import { scramVerifier } from '../lib/scram.js';
import { inspectGit, planFiles, writeFiles, type FilePlan } from './setup-db-files.js';
import { checkRoles, checkServer, connectAdmin, inspectDatabase, inspectServer, type DatabaseState, type ServerState } from './setup-db-server.js';

/** Options of `mcpctl setup-db`. */
export interface SetupDbOptions {
  /** Migrations folder (default `<cwd>/migrations`). */
  migrationsDir?: string;
  withPgvector?: boolean;
  rotatePassword?: boolean;
  /** Drop and recreate both databases (needs the typed confirmation). */
  reset?: boolean;
  /** Answers the --reset confirmation non-interactively; must equal POSTGRES_DB. */
  confirm?: string;
  dryRun?: boolean;
}

export interface SetupDbDeps {
  ctx: Context;
  log?: (line: string) => void;
  /** Transient progress (a status line on a TTY). */
  onProgress?: (text: string) => void;
  /** A hidden prompt (undefined when nobody can answer). */
  promptSecret?: (message: string) => Promise<string | undefined>;
  /** The typed confirmation for --reset; throws RefusedError when not given. */
  confirmTyped?: (message: string, expected: string, given: string | undefined) => Promise<void>;
  /** Called with each configuration warning (unknown keys and the like). */
  onWarning?: (text: string) => void;
}

/** One unit of work, in execution order; `sql` is what runs (verifiers shown redacted). */
export interface Step {
  kind: 'create-role' | 'alter-role' | 'set-password' | 'drop-database' | 'create-database' | 'alter-owner' | 'create-extension' | 'migrate';
  /** Database the step runs in (admin or app connection), when not the admin database. */
  database?: string;
  /** Statements as shown to people: the password verifier is `[redacted]`. */
  sql: string[];
  /** One line for people. */
  summary: string;
  /** Migration versions, for `migrate`. */
  migrations?: string[];
  done?: boolean;
}

/** What happened to the role's password. */
export type PasswordAction = 'generated' | 'rotated' | 'kept' | 'from-environment';

export interface SetupDbResult {
  ok: true;
  dryRun: boolean;
  /** False when the run found everything in place and wrote nothing. */
  changed: boolean;
  server: { host: string; port: number; version: string; admin: string; adminPasswordFrom: string };
  role: { name: string; state: 'created' | 'updated' | 'in-place'; password: PasswordAction };
  databases: { name: string; state: 'created' | 'recreated' | 'owner-changed' | 'in-place' }[];
  extensions: { database: string; name: string; state: 'created' | 'in-place' }[];
  migrations: { database: string; applied: string[]; pending: string[] }[];
  files: { kind: FilePlan['kind']; path: string; action: FilePlan['action']; detail: string }[];
  /** Where the app password is stored now (paths, never the value). */
  passwordStoredIn: string[];
  steps: Step[];
  warnings: string[];
}

const LOCK_NAME = 'mcpctl setup-db';

/** Loads configuration; with --rotate-password the new password stands in for a bad stored one. */
async function loadFor(ctx: Context, rotated: string | undefined): Promise<LoadedConfig> {
  return loadConfig({
    cwd: ctx.cwd,
    env: ctx.env,
    flags: rotated ? { POSTGRES_PASSWORD: rotated } : undefined,
    flagNames: { POSTGRES_PASSWORD: '--rotate-password' },
  });
}

/** The stored app password: configuration (environment, .env.local, .env), else the password file. */
async function storedPassword(loaded: LoadedConfig, ctx: Context): Promise<{ value?: string; source: string; fromEnvironment: boolean }> {
  const cfg = loaded.values;
  const r = loaded.resolved.POSTGRES_PASSWORD;
  if (cfg.POSTGRES_PASSWORD && r.source) return { value: cfg.POSTGRES_PASSWORD, source: r.source.label, fromEnvironment: r.source.kind === 'environment' };
  const file = await passwordFromFile(ctx, { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, database: cfg.POSTGRES_DB, user: cfg.POSTGRES_USER });
  return { value: file.password, source: `password file ${file.path}`, fromEnvironment: false };
}

/** True when `password` logs in as the app role; other failures than a wrong password are errors. */
async function logsIn(cfg: Config, password: string, database: string): Promise<boolean> {
  try {
    await withClient({ ...appTarget(cfg, password, database), applicationName: 'mcpctl setup-db' }, async () => undefined);
    return true;
  } catch (e) {
    const cause = (e as UserError).cause as { code?: string; message?: string } | undefined;
    if (classifyPgError(cause ?? e) === 'auth' && (cause?.code === '28P01' || /password|SASL/i.test(cause?.message ?? ''))) return false;
    throw e;
  }
}

export async function runSetupDb(deps: SetupDbDeps, options: SetupDbOptions = {}): Promise<SetupDbResult> {
  const { ctx } = deps;
  const progress = deps.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  const checkpoint = (next: string) => {
    if (ctx.signal.aborted) {
      throw new InterruptedError(`interrupted before ${next}; what was done is consistent and the files were not touched`, {
        hint: 'run `mcpctl setup-db` again to finish',
      });
    }
  };

  const rotated = options.rotatePassword ? generatePassword() : undefined;
  registerSecret(rotated);
  let loaded = await loadFor(ctx, rotated);
  for (const w of loaded.warnings) deps.onWarning?.(formatIssue(w));
  const cfg = loaded.values;
  const migrationsDir = path.resolve(ctx.cwd, options.migrationsDir ?? 'migrations');
  const migrations = await loadMigrations(migrationsDir);
  const dbNames = [...new Set([cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB])];
  checkRoles(cfg);
  if (options.reset && !options.dryRun) {
    await (deps.confirmTyped ?? (async () => undefined))(
      `--reset drops the databases ${dbNames.join(' and ')} with all their data, then recreates them.`,
      cfg.POSTGRES_DB,
      options.confirm,
    );
  }

  // git is asked while the server is: both are read-only looks.
  const gitFacts = inspectGit(ctx, deps.log);
  gitFacts.catch(() => undefined);
  checkpoint('connecting');
  progress(`connecting to ${cfg.POSTGRES_HOST}:${cfg.POSTGRES_PORT} as ${cfg.SETUP_POSTGRES_USER}`);
  const admin = await connectAdmin(cfg, ctx, deps.promptSecret);
  let adminIsSuperuser = false;
  const dbClients = new Map<string, Client>();
  // On Ctrl-C, a running migration is cancelled server-side (the admin connection is idle then).
  const running = new Set<number>();
  const onAbort = () => {
    for (const pid of running) void admin.client.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', onAbort);
  try {
    const state = await inspectServer(admin.client, cfg);
    checkServer(state);
    adminIsSuperuser = state.admin.superuser;
    if (options.withPgvector && !state.vectorAvailable) throw pgvectorMissing(state);
    checkpoint('locking');
    return await withAdvisoryLock(
      admin.client,
      advisoryKey(LOCK_NAME),
      async () => {
        // Another run may have finished while we waited: look again, and re-read the stored password.
        const fresh = await inspectServer(admin.client, cfg);
        loaded = await loadFor(ctx, rotated);
        return await work(fresh);
      },
      { signal: ctx.signal, onWait: () => progress('waiting for another setup-db run on this server') },
    );
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await Promise.all([...dbClients.values(), admin.client].map((c) => c.end().catch(() => undefined)));
  }

  async function adminIn(database: string): Promise<Client> {
    let c = dbClients.get(database);
    if (!c) {
      c = await connect({ ...admin.target, database });
      dbClients.set(database, c);
    }
    return c;
  }

  async function work(state: ServerState): Promise<SetupDbResult> {
    const role = cfg.POSTGRES_USER;
    const qRole = quoteIdent(role);
    const steps: Step[] = [];

    // Databases that exist now and will survive: their migrations are checked before any change.
    // The stored password's login test runs meanwhile (each is its own connection).
    checkpoint('inspecting databases');
    progress('checking the databases and the stored app password');
    const kept = dbNames.filter((db) => state.databases.has(db) && !options.reset);
    const stored = await storedPassword(loaded, ctx);
    const loginDb = dbNames.find((d) => state.databases.has(d)) ?? 'postgres';
    const [inspected, storedLogsIn] = await Promise.all([
      Promise.all(kept.map(async (db) => [db, await inspectDatabase(await adminIn(db), migrations)] as const)),
      !rotated && stored.value && state.role?.canLogin ? logsIn(cfg, stored.value, loginDb) : Promise.resolve(false),
    ]);
    const dbStates = new Map<string, DatabaseState>(inspected);
    for (const st of dbStates.values()) if (st.migrations?.changed.length) throw changedMigrationError(st.migrations.changed);

    // The password: kept while the stored one logs in; the environment's wins in CI.
    let password: string;
    let action: PasswordAction;
    if (rotated) {
      password = rotated;
      action = 'rotated';
      if (loaded.resolved.POSTGRES_PASSWORD.overridden.some((o) => o.source.kind === 'environment')) {
        warnings.push('POSTGRES_PASSWORD is set in the environment and overrides .env.local: update it to the new password (see .env.local)');
      }
    } else if (stored.value && storedLogsIn) {
      password = stored.value;
      action = 'kept';
    } else if (stored.value && stored.fromEnvironment) {
      if (!/^[\x20-\x7e]+$/.test(stored.value)) {
        throw new UserError('POSTGRES_PASSWORD from the environment has characters outside printable ASCII; mcpctl sends only SCRAM verifiers it can compute exactly', {
          hint: 'unset it to let setup-db generate one, or choose a printable ASCII password',
        });
      }
      password = stored.value;
      action = 'from-environment';
    } else {
      password = generatePassword();
      action = 'generated';
    }
    registerSecret(password);
    const verifier = action === 'kept' ? undefined : scramVerifier(password);
    registerSecret(verifier);

    // Files are planned (and refused) now, before the first change on the server.
    const files = await planFiles(cfg, ctx, password, await gitFacts);
    warnings.push(...((await gitFacts).warnings ?? []), ...files.flatMap((f) => f.warnings ?? []));

    let roleState: SetupDbResult['role']['state'] = 'in-place';
    if (!state.role) {
      steps.push({ kind: 'create-role', sql: [`CREATE ROLE ${qRole} LOGIN CREATEDB`], summary: `create role ${role} (LOGIN CREATEDB)` });
      roleState = 'created';
    } else if (!state.role.canLogin || !state.role.createDb) {
      steps.push({ kind: 'alter-role', sql: [`ALTER ROLE ${qRole} LOGIN CREATEDB`], summary: `give role ${role} LOGIN CREATEDB` });
      roleState = 'updated';
    }
    if (verifier) steps.push({ kind: 'set-password', sql: [`ALTER ROLE ${qRole} PASSWORD '[redacted]'`], summary: `set the password of ${role} (SCRAM-SHA-256 verifier)` });

    const dbResult: SetupDbResult['databases'] = [];
    for (const db of dbNames) {
      const existing = state.databases.get(db);
      if (existing && options.reset) {
        steps.push({ kind: 'drop-database', sql: [`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`], summary: `drop database ${db} (--reset)` });
      }
      if (!existing || options.reset) {
        steps.push({ kind: 'create-database', database: db, sql: [`CREATE DATABASE ${quoteIdent(db)} OWNER ${qRole}`], summary: `create database ${db} owned by ${role}` });
        dbResult.push({ name: db, state: existing ? 'recreated' : 'created' });
      } else if (existing.owner !== role) {
        steps.push({ kind: 'alter-owner', database: db, sql: [`ALTER DATABASE ${quoteIdent(db)} OWNER TO ${qRole}`], summary: `make ${role} the owner of ${db} (was ${existing.owner})` });
        dbResult.push({ name: db, state: 'owner-changed' });
      } else dbResult.push({ name: db, state: 'in-place' });
    }

    const extResult: SetupDbResult['extensions'] = [];
    if (options.withPgvector) {
      for (const db of dbNames) {
        if (dbStates.get(db)?.vectorInstalled) extResult.push({ database: db, name: 'vector', state: 'in-place' });
        else {
          steps.push({ kind: 'create-extension', database: db, sql: ['CREATE EXTENSION IF NOT EXISTS vector'], summary: `create extension vector in ${db}` });
          extResult.push({ database: db, name: 'vector', state: 'created' });
        }
      }
    }

    const migResult: SetupDbResult['migrations'] = [];
    for (const db of dbNames) {
      const known = dbStates.get(db)?.migrations;
      // Unknown (admin may not read the schema): the app connection finds out when applying.
      const pending = known ? known.pending.map((m) => m.version) : dbStates.has(db) ? ['(checked when applied)'] : migrations.map((m) => m.version);
      migResult.push({ database: db, applied: [], pending });
      if (pending.length) {
        steps.push({
          kind: 'migrate',
          database: db,
          sql: pending.map((v) => `-- apply migration ${v} in ${db} as ${role}, in its own transaction`),
          summary: `apply ${dbStates.has(db) && !known ? 'pending migrations' : pending.join(', ')} in ${db}`,
          migrations: pending,
        });
      }
    }

    const result: SetupDbResult = {
      ok: true,
      dryRun: options.dryRun === true,
      changed: false,
      server: { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, version: state.version, admin: state.admin.name, adminPasswordFrom: admin.passwordSource },
      role: { name: role, state: roleState, password: action },
      databases: dbResult,
      extensions: extResult,
      migrations: migResult,
      files: files.map((f) => ({ kind: f.kind, path: f.path, action: f.action, detail: f.detail })),
      passwordStoredIn: files.filter((f) => f.kind !== 'gitignore').map((f) => f.path),
      steps,
      warnings,
    };
    if (options.dryRun) return result;

    let passwordChanged = false;
    let current = '';
    try {
      for (const step of steps) {
        current = step.summary;
        checkpoint(step.summary);
        progress(step.summary);
        await execute(step, verifier, password, migrations, migResult);
        step.done = true;
        if (step.kind === 'set-password') passwordChanged = true;
      }
    } catch (e) {
      // A failure (not an interrupt) after the password changed: the files still follow the
      // role, so the app is not locked out while the cause gets fixed.
      if (passwordChanged && !ctx.signal.aborted) await writeFiles(files).catch(() => undefined);
      if (ctx.signal.aborted) {
        throw e instanceof InterruptedError
          ? e
          : new InterruptedError(`interrupted during: ${current} (cancelled; a migration's transaction is rolled back); the files were not touched`, { hint: 'run `mcpctl setup-db` again to finish' });
      }
      throw e instanceof UserError ? e : describePgError(e, { ...admin.target });
    }
    checkpoint('writing the files');
    progress('writing the credential files');
    await writeFiles(files);
    result.files = files.map((f) => ({ kind: f.kind, path: f.path, action: f.written ? f.action : 'unchanged', detail: f.detail }));
    const applied = (db: string | undefined) => migResult.find((m) => m.database === db)?.applied.length ?? 0;
    result.changed = steps.some((s) => s.done && (s.kind !== 'migrate' || applied(s.database) > 0)) || files.some((f) => f.written);
    return result;
  }

  async function execute(step: Step, verifier: string | undefined, password: string, all: readonly Migration[], migResult: SetupDbResult['migrations']): Promise<void> {
    const c = admin.client;
    const role = cfg.POSTGRES_USER;
    switch (step.kind) {
      case 'create-role':
        try {
          await c.query(step.sql[0]!);
        } catch (e) {
          // Created meanwhile by something that does not take our lock: bring it to state instead.
          if ((e as { code?: string }).code !== '42710') throw e;
          await c.query(`ALTER ROLE ${quoteIdent(role)} LOGIN CREATEDB`);
        }
        return;
      case 'alter-role':
      case 'drop-database':
      case 'alter-owner':
        await c.query(step.sql[0]!);
        return;
      case 'set-password': {
        // The statement log would otherwise keep the verifier (it allows offline guessing);
        // only a superuser may switch that off for one transaction.
        await c.query('BEGIN');
        try {
          if (adminIsSuperuser) await c.query("SET LOCAL log_statement = 'none'; SET LOCAL log_min_duration_statement = -1");
          await c.query(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(verifier!)}`);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
        return;
      }
      case 'create-database':
        try {
          await c.query(step.sql[0]!);
        } catch (e) {
          // Created meanwhile by something that does not take our lock.
          if ((e as { code?: string }).code !== '42P04') throw e;
        }
        return;
      case 'create-extension': {
        const dc = await adminIn(step.database!);
        await dc.query(step.sql[0]!);
        return;
      }
      case 'migrate': {
        const app = await connect({ ...appTarget(cfg, password, step.database!), applicationName: 'mcpctl setup-db' });
        running.add((app as unknown as { processID: number }).processID);
        try {
          const entry = migResult.find((m) => m.database === step.database)!;
          entry.applied = (await applyMigrations(app, all)).map((m) => m.version);
          entry.pending = [];
        } catch (e) {
          if (e instanceof UserError || ctx.signal.aborted) throw e;
          // Name the file that failed: the first one still pending (its transaction rolled back).
          const failed = (await migrationStatus(app, all).catch(() => undefined))?.pending[0];
          throw new UserError(`migration ${failed?.source ?? '(unknown)'} failed in ${step.database}: ${(e as Error).message}`, {
            hint: 'its transaction was rolled back; fix the file and run setup-db again (migrations before it stay applied)',
            cause: e,
          });
        } finally {
          running.clear();
          await app.end().catch(() => undefined);
        }
        return;
      }
    }
  }
}

function pgvectorMissing(state: ServerState): UserError {
  const major = Math.floor(state.versionNum / 10000);
  return new UserError(`--with-pgvector: the extension "vector" is not installed on the server (PostgreSQL ${state.version}); nothing was changed`, {
    code: 'pgvector',
    hint: `install pgvector for PostgreSQL ${major} on the server — Debian/Ubuntu: apt install postgresql-${major}-pgvector; RHEL/Fedora: dnf install pgvector_${major}; macOS: brew install pgvector; Docker: use the pgvector/pgvector:pg${major} image; from source: https://github.com/pgvector/pgvector#installation — then run setup-db again`,
  });
}
