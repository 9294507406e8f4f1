/**
 * The pure heart of setup-db: from what inspect found (SetupState), the configuration and the
 * options, decide the password and the steps — no I/O, so every combination is unit-tested.
 *
 * The steps keep one invariant at every boundary ("never locked out"): when the role's
 * password changes, the new one is first written as pending (write-pending), then the role
 * changes, then the credential files (write-files), then the pending record goes
 * (clear-pending). A run that stops anywhere in between leaves either the old password
 * working, or the new one in the pending record, which the next run finds and finishes with.
 */
import type { Config } from '../../lib/config/keys.js';
import { RefusedError, UserError } from '../../lib/cli/errors.js';
import { changedMigrationError, type Migration } from '../../lib/pg/migrations.js';
import { quoteIdent } from '../../lib/pg/client.js';
import { findTransactionControl } from './sql-lint.js';
import type { PasswordCandidate, SetupPlan, SetupState, Step } from './types.js';

export interface PlanOptions {
  rotatePassword?: boolean;
  reset?: boolean;
  withPgvector?: boolean;
  adopt?: boolean;
  migrations: readonly Migration[];
  /** A freshly generated password, used when the plan needs a new one (kept out for purity). */
  newPassword: string;
}

type PlanConfig = Pick<Config, 'POSTGRES_USER' | 'POSTGRES_DB' | 'POSTGRES_TEST_DB'>;

/** The password decision; a refusal when the role exists and nothing stored logs in. */
function decidePassword(state: SetupState, cfg: PlanConfig, o: PlanOptions): { password: SetupPlan['password']; refusal?: UserError } {
  const fresh = (action: 'generated' | 'rotated') => ({ value: o.newPassword, action, changesRole: true });
  const fromEnv = state.stored?.fromEnvironment ? { value: state.stored.value, action: 'from-environment' as const, source: state.stored.source, changesRole: true } : undefined;
  if (o.rotatePassword) return { password: fresh('rotated') };
  const role = state.role;
  // Nobody can be logged in as a role that does not exist or may not log in: setting it locks no one out.
  if (!role || !role.canLogin) return { password: fromEnv ?? fresh('generated') };
  if (state.stored?.logsIn) return { password: { value: state.stored.value, action: 'kept', source: state.stored.source, changesRole: false } };
  if (state.pending?.logsIn) return { password: { value: state.pending.value, action: 'recovered', source: state.pending.source, changesRole: false } };
  const other = state.others.find((c) => c.logsIn);
  if (other) return { password: { value: other.value, action: 'reused', source: other.source, changesRole: false } };
  return { password: { value: '', action: 'kept', changesRole: false }, refusal: lockoutRefusal(state, cfg) };
}

function lockoutRefusal(state: SetupState, cfg: PlanConfig): UserError {
  const tried = [state.stored, state.pending, ...state.others].filter((c): c is PasswordCandidate => !!c && c.logsIn === false).map((c) => c.source);
  const owns = state.role?.owns ?? [];
  const others = owns.filter((d) => d !== cfg.POSTGRES_DB && d !== cfg.POSTGRES_TEST_DB);
  const triedText = tried.length ? `none of the stored passwords logs in (tried ${tried.join('; ')})` : 'no password for it is stored here';
  const ownsText = owns.length ? `; it owns ${owns.join(', ')}` : '';
  return new RefusedError(`the role "${cfg.POSTGRES_USER}" already exists and ${triedText}${ownsText}; nothing was changed`, {
    hint:
      `a new password would lock out everything that logs in as ${cfg.POSTGRES_USER} now${others.length ? ` (other projects: ${others.join(', ')})` : ''}. ` +
      `Give this project its own role (set POSTGRES_USER in .env, e.g. POSTGRES_USER=${cfg.POSTGRES_DB}_user), ` +
      `put the role's current password in .env.local, or run \`mcpctl setup-db --rotate-password\` and update the other projects' files`,
    details: { role: cfg.POSTGRES_USER, ownedDatabases: owns, tried },
  });
}

function lintRefusal(m: Migration): UserError | undefined {
  const found = findTransactionControl(m.sql);
  if (!found.length) return undefined;
  const where = found.map((f) => `${m.source}:${f.line}: ${f.statement}`).join('; ');
  return new UserError(`migration ${m.source} controls its transaction itself (${where}); nothing was run`, {
    hint: 'setup-db runs each migration in its own transaction and records it there: remove the BEGIN/COMMIT/ROLLBACK/SAVEPOINT statements (split the work into several migration files if it needs several transactions)',
    details: { file: m.source, statements: found },
  });
}

export function planSetup(state: SetupState, cfg: PlanConfig, o: PlanOptions): SetupPlan {
  const role = cfg.POSTGRES_USER;
  const dbNames = [...new Set([cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB])];
  const refusals: UserError[] = [];
  const warnings: string[] = [];

  for (const st of state.databases.values()) if (!o.reset && st.migrations?.changed.length) refusals.push(changedMigrationError(st.migrations.changed));
  if (o.withPgvector && !state.server.vectorAvailable) refusals.push(pgvectorMissing(state));

  const { password, refusal } = decidePassword(state, cfg, o);
  if (refusal) refusals.push(refusal);
  if (password.action === 'rotated' && state.stored?.fromEnvironment) {
    warnings.push('POSTGRES_PASSWORD is set in the environment and overrides .env.local: update it to the new password (see .env.local)');
  }

  const credential = credentialSteps(state, role, password.changesRole);
  const dbs = databaseSteps(state, role, dbNames, o);
  const adopt = adoptSteps(state, role, dbNames, o);
  const ext = extensionSteps(state, dbNames, o);
  const mig = migrationSteps(state, role, dbNames, o);
  const member = membershipSteps(state, role, [...dbs.steps, ...adopt.steps]);
  refusals.push(...adopt.refusals, ...mig.refusals, ...member.refusals);
  const steps = [...credential.steps, ...member.steps, ...dbs.steps, ...adopt.steps, ...ext.steps, ...mig.steps];
  return { password, role: { name: role, state: credential.roleState }, databases: dbs.databases, extensions: ext.extensions, migrations: mig.migrations, steps, warnings, refusals };
}

/** The credential step: write-ahead, role, files, clear — in this order only. */
function credentialSteps(state: SetupState, role: string, changesRole: boolean): { steps: Step[]; roleState: SetupPlan['role']['state'] } {
  const qRole = quoteIdent(role);
  const steps: Step[] = [];
  let roleState: SetupPlan['role']['state'] = 'in-place';
  if (changesRole) steps.push({ kind: 'write-pending', sql: [], summary: `write the new password of ${role} as pending (0600)` });
  if (!state.role) {
    steps.push({ kind: 'create-role', sql: [`CREATE ROLE ${qRole} LOGIN CREATEDB PASSWORD '[redacted]'`], summary: `create role ${role} (LOGIN CREATEDB, SCRAM-SHA-256 verifier)` });
    roleState = 'created';
  } else {
    if (!state.role.canLogin || !state.role.createDb) {
      steps.push({ kind: 'alter-role', sql: [`ALTER ROLE ${qRole} LOGIN CREATEDB`], summary: `give role ${role} LOGIN CREATEDB` });
      roleState = 'updated';
    }
    if (changesRole) steps.push({ kind: 'set-password', sql: [`ALTER ROLE ${qRole} PASSWORD '[redacted]'`], summary: `set the password of ${role} (SCRAM-SHA-256 verifier)` });
  }
  steps.push({ kind: 'write-files', sql: [], summary: 'write the credential files' });
  if (changesRole || state.pending) steps.push({ kind: 'clear-pending', sql: [], summary: 'remove the pending password record' });
  return { steps, roleState };
}

/** Steps that create, drop or give away the app role's databases, or give it the registry: the admin must be able to act as the role. */
const OWNER_STEPS: ReadonlySet<Step['kind']> = new Set(['drop-database', 'create-database', 'alter-owner', 'adopt-registry']);

/**
 * A non-superuser admin (CREATEROLE CREATEDB, as hosted services give) may make a database owned
 * by the app role, or drop one, only as a member of it: it grants itself that membership, or, when
 * it may not, the run is refused before any change. (It could already set the role's password.)
 */
function membershipSteps(state: SetupState, role: string, later: Step[]): { steps: Step[]; refusals: UserError[] } {
  const admin = state.server.admin;
  if (admin.superuser || state.role?.adminCanSet || !later.some((s) => OWNER_STEPS.has(s.kind))) return { steps: [], refusals: [] };
  // 16+: the options spelled out, whatever the admin role's INHERIT default (DROP DATABASE needs the privileges).
  const grant = `GRANT ${quoteIdent(role)} TO ${quoteIdent(admin.name)}${state.server.versionNum >= 160000 ? ' WITH INHERIT TRUE, SET TRUE' : ''}`;
  // A role the admin creates in this run is its own to grant (CREATEROLE up to 15, ADMIN option from 16).
  if (state.role && !state.role.adminCanGrant) {
    return {
      steps: [],
      refusals: [
        new UserError(`the admin role "${admin.name}" cannot make databases owned by "${role}": it is not a member of that role and may not grant itself membership; nothing was changed`, {
          code: 'privilege',
          hint: `as a superuser (or the role's creator): ${grant}; then run it again — or set SETUP_POSTGRES_USER to a superuser`,
        }),
      ],
    };
  }
  return { steps: [{ kind: 'grant-membership', sql: [grant], summary: `make the admin ${admin.name} a member of ${role} (to create and own its databases)` }], refusals: [] };
}

/** Each database created (or recreated by --reset), or given to the app role. */
function databaseSteps(state: SetupState, role: string, dbNames: string[], o: PlanOptions): { steps: Step[]; databases: SetupPlan['databases'] } {
  const qRole = quoteIdent(role);
  const steps: Step[] = [];
  const databases: SetupPlan['databases'] = [];
  for (const db of dbNames) {
    const existing = state.databases.get(db);
    if (existing && o.reset) steps.push({ kind: 'drop-database', sql: [`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`], summary: `drop database ${db} (--reset)` });
    if (!existing || o.reset) {
      steps.push({ kind: 'create-database', database: db, sql: [`CREATE DATABASE ${quoteIdent(db)} OWNER ${qRole}`], summary: `create database ${db} owned by ${role}` });
      databases.push({ name: db, state: existing ? 'recreated' : 'created' });
    } else if (existing.owner !== role) {
      steps.push({ kind: 'alter-owner', database: db, sql: [`ALTER DATABASE ${quoteIdent(db)} OWNER TO ${qRole}`], summary: `make ${role} the owner of ${db} (was ${existing.owner})` });
      databases.push({ name: db, state: 'owner-changed' });
    } else databases.push({ name: db, state: 'in-place' });
  }
  return { steps, databases };
}

/** A registry schema made without mcpctl: refused, or with --adopt taken over and baselined. */
function adoptSteps(state: SetupState, role: string, dbNames: string[], o: PlanOptions): { steps: Step[]; refusals: UserError[] } {
  const qRole = quoteIdent(role);
  const steps: Step[] = [];
  const refusals: UserError[] = [];
  for (const db of dbNames) {
    const legacy = o.reset ? undefined : state.databases.get(db)?.legacy;
    if (!legacy) continue;
    const found = `a registry schema that mcpctl did not record (owner ${legacy.schemaOwner}; tables: ${legacy.tables.join(', ') || 'none'})`;
    if (!o.adopt) {
      refusals.push(
        new RefusedError(`database ${db} holds ${found}, made without mcpctl (e.g. by the old setup scripts); nothing was changed`, {
          hint: '`mcpctl setup-db --adopt --dry-run` shows what adopting it does; `mcpctl setup-db --adopt` checks it and records it as applied (nothing is dropped)',
        }),
      );
      continue;
    }
    const sql = [`ALTER SCHEMA registry OWNER TO ${qRole}`, `-- and every table, view and sequence in registry: OWNER TO ${qRole}`];
    if (legacy.migrationsTableIncompatible) sql.push('ALTER TABLE registry.schema_migrations RENAME TO schema_migrations_legacy -- its rows are kept');
    sql.push('-- registry.system_info of another shape than the built-in one: renamed to system_info_legacy, its rows kept');
    sql.push('-- create what the built-in migration adds, when missing', "INSERT INTO registry.schema_migrations (version, description, checksum) VALUES ('000_registry', …) -- the baseline");
    steps.push({ kind: 'adopt-registry', database: db, sql, summary: `adopt the existing registry schema in ${db} (baseline 000_registry)` });
  }
  return { steps, refusals };
}

function extensionSteps(state: SetupState, dbNames: string[], o: PlanOptions): { steps: Step[]; extensions: SetupPlan['extensions'] } {
  const steps: Step[] = [];
  const extensions: SetupPlan['extensions'] = [];
  if (!o.withPgvector) return { steps, extensions };
  for (const db of dbNames) {
    if (!o.reset && state.databases.get(db)?.vectorInstalled) extensions.push({ database: db, name: 'vector', state: 'in-place' });
    else {
      steps.push({ kind: 'create-extension', database: db, sql: ['CREATE EXTENSION IF NOT EXISTS vector'], summary: `create extension vector in ${db}` });
      extensions.push({ database: db, name: 'vector', state: 'created' });
    }
  }
  return { steps, extensions };
}

/** The pending migrations of each database, each linted once for transaction control. */
function migrationSteps(state: SetupState, role: string, dbNames: string[], o: PlanOptions): { steps: Step[]; migrations: SetupPlan['migrations']; refusals: UserError[] } {
  const steps: Step[] = [];
  const migrations: SetupPlan['migrations'] = [];
  const refusals: UserError[] = [];
  const linted = new Set<string>();
  for (const db of dbNames) {
    const st = o.reset ? undefined : state.databases.get(db);
    let pending: Migration[] | undefined;
    if (!st) pending = [...o.migrations];
    else if (st.legacy) pending = o.migrations.filter((m) => m.source !== 'built-in');
    else if (st.migrations) pending = st.migrations.pending;
    // Unknown (the admin may not read the schema): the app connection finds out when applying.
    const names = pending ? pending.map((m) => m.version) : ['(checked when applied)'];
    for (const m of pending ?? o.migrations) {
      if (m.source === 'built-in' || linted.has(m.version)) continue;
      linted.add(m.version);
      const r = lintRefusal(m);
      if (r) refusals.push(r);
    }
    migrations.push({ database: db, applied: [], pending: names });
    if (names.length) {
      steps.push({
        kind: 'migrate',
        database: db,
        sql: names.map((v) => `-- apply migration ${v} in ${db} as ${role}, in its own transaction`),
        summary: `apply ${pending ? names.join(', ') : 'pending migrations'} in ${db}`,
        migrations: names,
      });
    }
  }
  return { steps, migrations, refusals };
}

function pgvectorMissing(state: SetupState): UserError {
  const major = Math.floor(state.server.versionNum / 10000);
  return new UserError(`--with-pgvector: the extension "vector" is not installed on the server (PostgreSQL ${state.server.version}); nothing was changed`, {
    code: 'pgvector',
    hint: `install pgvector for PostgreSQL ${major} on the server — Debian/Ubuntu: apt install postgresql-${major}-pgvector; RHEL/Fedora: dnf install pgvector_${major}; macOS: brew install pgvector; Docker: use the pgvector/pgvector:pg${major} image; from source: https://github.com/pgvector/pgvector#installation — then run setup-db again`,
  });
}
