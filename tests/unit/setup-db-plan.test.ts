import { describe, expect, it } from 'vitest';
import { planSetup, type PlanOptions } from '../../src/commands/setup-db/plan.js';
import type { DatabaseState, SetupState } from '../../src/commands/setup-db/types.js';
import { builtinMigration, sha256, type Migration } from '../../src/lib/pg/migrations.js';

const cfg = { POSTGRES_USER: 'app_u', POSTGRES_DB: 'app_db', POSTGRES_TEST_DB: 'app_test' };
const builtin = builtinMigration();
const file = (version: string, sql: string): Migration => ({ version, description: version, sql, checksum: sha256(sql), source: `/p/migrations/${version}.sql` });
const m1 = file('001_a', 'CREATE TABLE a (x int);');

function state(o: {
  role?: boolean;
  canLogin?: boolean;
  stored?: boolean | 'env';
  storedLogsIn?: boolean;
  pending?: boolean;
  pendingLogsIn?: boolean;
  other?: boolean;
  dbs?: boolean;
  applied?: boolean;
}): SetupState {
  const dbState = (): DatabaseState => ({
    owner: 'app_u',
    vectorInstalled: false,
    migrations: { tablePresent: !!o.applied, applied: [], pending: o.applied ? [] : [builtin, m1], changed: [], unknown: [] },
  });
  return {
    server: { version: '15', versionNum: 150000, admin: { name: 'postgres', superuser: true, createrole: true, createdb: true }, vectorAvailable: false },
    role: o.role ? { canLogin: o.canLogin ?? true, createDb: true, owns: o.dbs ? ['app_db', 'app_test', 'other_db'] : ['other_db'], adminCanSet: true, adminCanGrant: true } : undefined,
    databases: new Map(o.dbs ? [['app_db', dbState()], ['app_test', dbState()]] : []),
    stored: o.stored ? { value: 'stored-pw', source: o.stored === 'env' ? 'POSTGRES_PASSWORD (environment)' : 'POSTGRES_PASSWORD (.env.local:1)', fromEnvironment: o.stored === 'env', logsIn: o.role ? !!o.storedLogsIn : undefined } : undefined,
    pending: o.pending ? { value: 'pending-pw', source: 'pending', path: '/p', logsIn: o.role && !o.storedLogsIn ? !!o.pendingLogsIn : undefined } : undefined,
    others: o.other ? [{ value: 'other-pw', source: 'password file /h/.pgpass:3', logsIn: true }] : [],
  };
}

const opts = (over: Partial<PlanOptions> = {}): PlanOptions => ({ migrations: [builtin, m1], newPassword: 'new-pw', ...over });
const kinds = (s: SetupState, o = opts()) => planSetup(s, cfg, o).steps.map((x) => x.kind);

describe('planSetup: the password', () => {
  // Every combination of: role exists / stored / stored logs in / pending / pending logs in / other entry logs in / dbs exist / applied.
  const bools = [false, true];
  const cases: { name: string; s: Parameters<typeof state>[0] }[] = [];
  for (const role of bools) for (const stored of bools) for (const storedLogsIn of bools) for (const pending of bools) for (const pendingLogsIn of bools) for (const other of bools) for (const dbs of bools) for (const applied of bools) {
    if ((!stored && storedLogsIn) || (!pending && pendingLogsIn) || (!dbs && applied)) continue;
    cases.push({ name: JSON.stringify({ role, stored, storedLogsIn, pending, pendingLogsIn, other, dbs, applied }), s: { role, stored, storedLogsIn, pending, pendingLogsIn, other, dbs, applied } });
  }

  it.each(cases)('$name', ({ s }) => {
    const plan = planSetup(state(s), cfg, opts());
    const k = plan.steps.map((x) => x.kind);
    // The write-ahead order, whenever the role's password changes.
    if (plan.password.changesRole) {
      expect(k.indexOf('write-pending')).toBe(0);
      const roleStep = Math.max(k.indexOf('create-role'), k.indexOf('set-password'));
      expect(roleStep).toBeGreaterThan(0);
      expect(k.indexOf('write-files')).toBeGreaterThan(roleStep);
      expect(k.indexOf('clear-pending')).toBeGreaterThan(k.indexOf('write-files'));
    } else expect(k).not.toContain('write-pending');
    // The credential files are written before any database work.
    const firstDbStep = k.findIndex((x) => ['create-database', 'migrate', 'alter-owner'].includes(x));
    if (firstDbStep >= 0) expect(k.indexOf('write-files')).toBeLessThan(firstDbStep);

    if (!s.role) {
      expect(plan.password).toMatchObject({ action: 'generated', value: 'new-pw', changesRole: true });
      expect(k).toContain('create-role');
    } else if (s.storedLogsIn) {
      expect(plan.password).toMatchObject({ action: 'kept', value: 'stored-pw', changesRole: false });
    } else if (s.pendingLogsIn) {
      expect(plan.password).toMatchObject({ action: 'recovered', value: 'pending-pw', changesRole: false });
    } else if (s.other) {
      expect(plan.password).toMatchObject({ action: 'reused', value: 'other-pw', changesRole: false });
    } else {
      // Never a silent rotation of an existing role.
      expect(plan.password.changesRole).toBe(false);
      expect(plan.refusals[0]).toMatchObject({ exitCode: 3 });
      expect(plan.refusals[0]!.message).toContain('other_db');
      expect(plan.refusals[0]!.hint).toContain('--rotate-password');
    }
    if (s.pending) expect(k).toContain('clear-pending');
    expect(k.filter((x) => x === 'migrate')).toHaveLength(s.applied ? 0 : 2);
    expect(k.filter((x) => x === 'create-database')).toHaveLength(s.dbs ? 0 : 2);
  });

  it('--rotate-password always changes the role, with the write-ahead steps', () => {
    expect(kinds(state({ role: true, stored: true, storedLogsIn: true, dbs: true, applied: true }), opts({ rotatePassword: true }))).toEqual([
      'write-pending',
      'set-password',
      'write-files',
      'clear-pending',
    ]);
  });

  it('a second run with everything in place plans only the file check', () => {
    expect(kinds(state({ role: true, stored: true, storedLogsIn: true, dbs: true, applied: true }))).toEqual(['write-files']);
  });

  it('an environment password is used for a new role, but never forced on an existing one', () => {
    expect(planSetup(state({ stored: 'env' }), cfg, opts()).password).toMatchObject({ action: 'from-environment', value: 'stored-pw' });
    expect(planSetup(state({ role: true, stored: 'env', storedLogsIn: false }), cfg, opts()).refusals[0]).toMatchObject({ exitCode: 3 });
  });

  it('a role that may not log in gets LOGIN and a password (nobody can be locked out)', () => {
    const plan = planSetup(state({ role: true, canLogin: false }), cfg, opts());
    expect(plan.steps.map((x) => x.kind)).toEqual(['write-pending', 'alter-role', 'set-password', 'write-files', 'clear-pending', 'create-database', 'create-database', 'migrate', 'migrate']);
  });
});

describe('planSetup: databases and migrations', () => {
  it('a migration that controls its transaction is refused, naming file and line', () => {
    const bad = file('002_commit', 'CREATE TABLE half_a (x int);\nCOMMIT;\nSELECT 1/0;');
    const plan = planSetup(state({}), cfg, opts({ migrations: [builtin, m1, bad] }));
    expect(plan.refusals).toHaveLength(1);
    expect(plan.refusals[0]!.message).toContain('/p/migrations/002_commit.sql:2: COMMIT');
  });

  it('a legacy registry refuses without --adopt (exit 3) and is adopted with it', () => {
    const s = state({ role: true, stored: true, storedLogsIn: true, dbs: true });
    for (const db of s.databases.values()) Object.assign(db, { migrations: undefined, legacy: { schemaOwner: 'postgres', tables: ['schema_migrations'], migrationsTableIncompatible: true } });
    const without = planSetup(s, cfg, opts());
    expect(without.refusals.map((r) => r.exitCode)).toEqual([3, 3]);
    expect(without.refusals[0]!.hint).toContain('--adopt');
    const adopt = planSetup(s, cfg, opts({ adopt: true }));
    expect(adopt.refusals).toEqual([]);
    expect(adopt.steps.map((x) => x.kind)).toEqual(['write-files', 'adopt-registry', 'adopt-registry', 'migrate', 'migrate']);
    expect(adopt.migrations[0]!.pending).toEqual(['001_a']);
  });

  it('--reset drops and recreates, and ignores what the old databases held', () => {
    const s = state({ role: true, stored: true, storedLogsIn: true, dbs: true, applied: true });
    expect(kinds(s, opts({ reset: true }))).toEqual(['write-files', 'drop-database', 'create-database', 'drop-database', 'create-database', 'migrate', 'migrate']);
  });

  it('--with-pgvector without the extension available is refused', () => {
    expect(planSetup(state({}), cfg, opts({ withPgvector: true })).refusals[0]!.message).toContain('--with-pgvector');
  });
});

describe('planSetup: a non-superuser admin (CREATEROLE CREATEDB)', () => {
  const weak = (s: SetupState, versionNum: number, role?: Partial<NonNullable<SetupState['role']>>): SetupState => ({
    ...s,
    server: { ...s.server, versionNum, admin: { name: 'adm', superuser: false, createrole: true, createdb: true } },
    role: s.role && role ? { ...s.role, ...role } : s.role,
  });
  it('a new role: the admin grants itself membership before the databases (PostgreSQL 15)', () => {
    const plan = planSetup(weak(state({}), 150000), cfg, opts());
    const k = plan.steps.map((x) => x.kind);
    expect(k.indexOf('grant-membership')).toBeGreaterThan(k.indexOf('create-role'));
    expect(k.indexOf('grant-membership')).toBeLessThan(k.indexOf('create-database'));
    expect(plan.steps.find((x) => x.kind === 'grant-membership')!.sql).toEqual(['GRANT "app_u" TO "adm"']);
    expect(plan.refusals).toEqual([]);
  });
  it('on PostgreSQL 16+: the options spelled out (DROP DATABASE needs the privileges, whatever the admin\'s INHERIT default)', () => {
    const plan = planSetup(weak(state({}), 160000), cfg, opts());
    expect(plan.steps.find((x) => x.kind === 'grant-membership')!.sql).toEqual(['GRANT "app_u" TO "adm" WITH INHERIT TRUE, SET TRUE']);
  });
  it('already a member, or nothing to create: no grant', () => {
    expect(kinds(weak(state({ role: true, stored: true, storedLogsIn: true }), 160000, { adminCanSet: true }))).not.toContain('grant-membership');
    expect(kinds(weak(state({ role: true, stored: true, storedLogsIn: true, dbs: true, applied: true }), 160000, { adminCanSet: false }))).not.toContain('grant-membership');
  });
  it('an existing role the admin may not grant (PostgreSQL 16+, made by someone else): refused before any change, with the GRANT to run', () => {
    const plan = planSetup(weak(state({ role: true, stored: true, storedLogsIn: true }), 160000, { adminCanSet: false, adminCanGrant: false }), cfg, opts());
    expect(plan.steps.map((x) => x.kind)).not.toContain('grant-membership');
    expect(plan.refusals.map((r) => r.message)).toEqual([expect.stringContaining('the admin role "adm" cannot make databases owned by "app_u"')]);
    expect(plan.refusals[0]!.hint).toContain('GRANT "app_u" TO "adm" WITH INHERIT TRUE, SET TRUE');
  });
});

