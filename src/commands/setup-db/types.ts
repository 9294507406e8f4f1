/**
 * The shapes setup-db passes between its parts: what inspect finds (SetupState), what the
 * pure plan decides (SetupPlan, Step), and what the command returns (SetupDbResult).
 */
import type { MigrationStatus } from '../../lib/pg/migrations.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import type { LoadedConfig } from '../../lib/config/load.js';

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
  /** Record an existing registry schema made without mcpctl as applied (after checking it). */
  adopt?: boolean;
  /**
   * `--local`: the server is the user's local cluster (`mcpctl db`), already running; its
   * superuser is the admin, and POSTGRES_HOST and POSTGRES_PORT are written to .env.local.
   */
  local?: LocalServer;
  /**
   * The password a new role (or --rotate-password) gets; generated when absent. With
   * --rotate-password it must be the one the configuration was loaded with.
   */
  newPassword?: string;
}

/** The local cluster as setup-db --local uses it. */
export interface LocalServer {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
}

/** What setup-db tells its adapter: each step as it starts (a status line), the plan's warnings, --debug lines. */
export type SetupDbEvent = DebugEvent | { type: 'progress'; text: string } | { type: 'warning'; text: string };

/**
 * setup-db's dependencies. `config` is loaded with `setupDbConfigFlags` (the new password of
 * --rotate-password and the server of --local stand in as flags). The prompter asks for the
 * admin password when the server wants one, and for the --reset confirmation.
 */
export type SetupDbDeps = CoreDeps<SetupDbEvent, LoadedConfig>;

/** A registry schema in a database that mcpctl did not record (e.g. made by the old scripts). */
export interface LegacyRegistry {
  schemaOwner: string;
  /** Tables in schema registry. */
  tables: string[];
  /** registry.schema_migrations lacks mcpctl's columns (it is kept as schema_migrations_legacy). */
  migrationsTableIncompatible: boolean;
}

/** One wanted database that exists. */
export interface DatabaseState {
  owner: string;
  vectorInstalled: boolean;
  /** undefined when the admin may not read the app's schema (the app connection checks). */
  migrations: MigrationStatus | undefined;
  legacy?: LegacyRegistry;
}

/** A password that some stored place holds, and whether it logs in as the role. */
export interface PasswordCandidate {
  value: string;
  source: string;
  /** undefined: not tried (not needed, or the role cannot log in). */
  logsIn: boolean | undefined;
}

/** Everything setup-db learns before it changes anything (read-only). */
export interface SetupState {
  server: { version: string; versionNum: number; admin: { name: string; superuser: boolean; createrole: boolean; createdb: boolean }; vectorAvailable: boolean };
  /**
   * The app role, when it exists. `adminCanSet`: the admin may act as it and has its privileges
   * (a superuser, or an inheriting member — with the SET option on PostgreSQL 16+), which creating,
   * dropping or giving away its databases needs; `adminCanGrant`: it may grant itself that.
   */
  role: { canLogin: boolean; createDb: boolean; owns: string[]; adminCanSet: boolean; adminCanGrant: boolean } | undefined;
  databases: Map<string, DatabaseState>;
  /** The configured password (environment, .env.local, .env), else the password file's entry for POSTGRES_DB. */
  stored: (PasswordCandidate & { fromEnvironment: boolean }) | undefined;
  /** The write-ahead record of an earlier run that was changing the password. */
  pending: (PasswordCandidate & { path: string }) | undefined;
  /** Other password-file entries for this host, port and user, that were tried. */
  others: PasswordCandidate[];
}

/** What happened (or would happen) to the role's password. */
export type PasswordAction = 'generated' | 'rotated' | 'kept' | 'from-environment' | 'recovered' | 'reused';

/** One unit of work, in execution order; `sql` is what runs (verifiers shown redacted). */
export interface Step {
  kind:
    | 'write-pending'
    | 'create-role'
    | 'alter-role'
    | 'set-password'
    | 'write-files'
    | 'clear-pending'
    | 'grant-membership'
    | 'drop-database'
    | 'create-database'
    | 'alter-owner'
    | 'adopt-registry'
    | 'create-extension'
    | 'migrate';
  /** Database the step runs in, when not the admin database. */
  database?: string;
  /** Statements as shown to people: the password verifier is `[redacted]`. */
  sql: string[];
  /** One line for people; also the --debug "step:" line that fault-injection tests wait for. */
  summary: string;
  /** Migration versions, for `migrate`. */
  migrations?: string[];
  done?: boolean;
}

/** The pure plan's answer. */
export interface SetupPlan {
  password: { value: string; action: PasswordAction; source?: string; changesRole: boolean };
  role: { name: string; state: 'created' | 'updated' | 'in-place' };
  databases: { name: string; state: 'created' | 'recreated' | 'owner-changed' | 'in-place' }[];
  extensions: { database: string; name: string; state: 'created' | 'in-place' }[];
  migrations: { database: string; applied: string[]; pending: string[] }[];
  steps: Step[];
  warnings: string[];
  /** Reasons the run must not go on (a real run throws the first; --dry-run lists them). */
  refusals: import('../../lib/cli/errors.js').UserError[];
}

/** A file setup-db writes, as reported. */
export interface FileReport {
  kind: 'password-file' | 'env-local' | 'gitignore';
  path: string;
  action: 'create' | 'update' | 'unchanged';
  detail: string;
}

export interface SetupDbResult {
  ok: true;
  dryRun: boolean;
  /** False when the run found everything in place and wrote nothing. */
  changed: boolean;
  /** The project folder acted on. */
  project: string;
  server: { host: string; port: number; version: string; admin: string; adminPasswordFrom: string };
  role: { name: string; state: SetupPlan['role']['state']; password: PasswordAction; passwordFrom?: string };
  databases: SetupPlan['databases'];
  extensions: SetupPlan['extensions'];
  migrations: SetupPlan['migrations'];
  files: FileReport[];
  /** Where the app password is stored now (paths, never the value). */
  passwordStoredIn: string[];
  /** Databases adopted (--adopt). */
  adopted: string[];
  steps: Step[];
  /** --dry-run: what a real run would refuse, and why. */
  refusals: { message: string; hint?: string; exitCode: number }[];
}
