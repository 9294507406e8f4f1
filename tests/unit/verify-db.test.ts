import { describe, expect, it } from 'vitest';
import { selectVerifyDbChecks, VERIFY_DB_CHECKS } from '../../src/commands/verify-db/check-names.js';
import { percentile, poolLimitHint, poolOutcome, type PoolRun } from '../../src/commands/verify-db/checks/pool.js';
import { schemaOutcome } from '../../src/commands/verify-db/checks/schema.js';
import { evaluateVersion } from '../../src/commands/verify-db/checks/version.js';
import { UsageError } from '../../src/lib/cli/errors.js';
import { isScratchName, SCRATCH_PREFIX, scratchName, scratchOwnerAppName } from '../../src/commands/verify-db/scratch-db.js';

describe('verify-db check selection', () => {
  it('selects all, --only, and --skip', () => {
    expect([...selectVerifyDbChecks(undefined, undefined)]).toEqual([...VERIFY_DB_CHECKS]);
    expect([...selectVerifyDbChecks('pool, auth', undefined)]).toEqual(['pool', 'auth']);
    expect(selectVerifyDbChecks(undefined, 'pool,pgvector').has('pool')).toBe(false);
  });

  it('rejects unknown names (usage error, exit 2) listing the valid ones', () => {
    let err: unknown;
    try {
      selectVerifyDbChecks('reachable,nope,bad', undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ exitCode: 2, message: 'unknown checks: nope, bad', hint: `valid checks: ${VERIFY_DB_CHECKS.join(', ')}` });
  });

  it('rejects a selection that leaves nothing to run', () => {
    expect(() => selectVerifyDbChecks('pool', 'pool')).toThrow(/leave no check/);
  });
});

describe('verify-db evaluations', () => {
  it('judges the server version by server_version_num', () => {
    expect(evaluateVersion(130011, '13.11 (Debian)')).toMatchObject({ status: 'fail', message: 'server is PostgreSQL 13.11; mcpctl needs 14 or newer' });
    expect(evaluateVersion(140000, '14.0')).toMatchObject({ status: 'pass' });
    expect(evaluateVersion(170002, '17.2 (Homebrew)')).toMatchObject({ status: 'pass', message: 'PostgreSQL 17.2 (server_version_num 170002)' });
    expect(evaluateVersion(Number('x'), '?')).toMatchObject({ status: 'fail' });
  });

  it('computes a nearest-rank percentile', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.95)).toBe(19);
    expect(percentile([], 0.95)).toBeNaN();
  });

  it('explains which limit a pool exceeds', () => {
    const base = { user: 'mcp_user', roleLimit: -1, maxConnections: 100, reserved: 3, superuser: false };
    expect(poolLimitHint(10, { ...base, roleLimit: 4 })).toContain('ALTER ROLE mcp_user CONNECTION LIMIT 10');
    expect(poolLimitHint(10, { ...base, maxConnections: 8 })).toContain('the server allows 5 (max_connections 8, 3 reserved)');
    expect(poolLimitHint(10, base)).toContain('other sessions hold the remaining connections');
    expect(poolLimitHint(10, undefined)).toContain('lower --pool-size');
  });
});

describe('scratch database names', () => {
  it('are unique, recognisable, and fit application_name', () => {
    const a = scratchName();
    expect(a.startsWith(SCRATCH_PREFIX)).toBe(true);
    expect(isScratchName(a)).toBe(true);
    expect(scratchName()).not.toBe(a);
    expect(scratchOwnerAppName(a).length).toBeLessThanOrEqual(63);
    for (const bad of ['mcpctl_verify_', 'mcpctl_verify_x; DROP', 'project_registry', 'mcpctl_verify_0123456789a']) expect(isScratchName(bad)).toBe(false);
  });
});

describe('verify-db verdicts', () => {
  const run = (o: Partial<PoolRun> = {}): PoolRun => ({ answered: 50, latencies: Array.from({ length: 50 }, (_, i) => i + 1), wrong: [], errors: [], tooMany: false, timedOut: false, ...o });

  it('judges a pool run', () => {
    expect(poolOutcome(run(), 10, 5000, undefined, false)).toMatchObject({ status: 'pass', message: 'a pool of 10 answered 50 concurrent queries correctly; p95 48 ms, max 50 ms' });
    expect(poolOutcome(run({ answered: 49, wrong: ['query 3 got 4'] }), 10, 5000, undefined, false)).toMatchObject({ status: 'fail', message: expect.stringContaining("another query's answer") });
    expect(poolOutcome(run({ answered: 20, timedOut: true }), 10, 300, undefined, false)).toMatchObject({ status: 'fail', message: 'only 20 of 50 queries answered within 300 ms' });
    expect(poolOutcome(run({ answered: 40, errors: ['boom'] }), 10, 5000, undefined, false)).toMatchObject({ status: 'fail', message: '1 of 50 queries failed: boom' });
    const tooMany = poolOutcome(run({ answered: 38, tooMany: true, errors: ['too many connections for role "app"'] }), 10, 5000, undefined, true);
    expect(tooMany.message).toBe('a pool of 10 could not open its connections: too many connections for role "app" (38 of 50 queries answered, also after closing every other connection)');
  });

  it('judges the schema, failures before warnings', () => {
    const m = [{ version: '000_registry', description: '', sql: '', checksum: 'x', source: 'built-in' }];
    expect(schemaOutcome([], m, ['a', 'b'])).toMatchObject({ status: 'pass', message: 'registry schema present in a and b; 1 migration applied, checksums match' });
    expect(schemaOutcome([{ db: 'a', kind: 'unknown', detail: 'applied in a but no file: 009' }], m, ['a'])).toMatchObject({ status: 'warn' });
    const f = schemaOutcome(
      [
        { db: 'a', kind: 'changed', detail: 'changed after it was applied in a: migrations/1.sql' },
        { db: 'b', kind: 'no-schema', detail: 'schema registry missing in b' },
        { db: 'a', kind: 'unknown', detail: 'applied in a but no file: 009' },
      ],
      m,
      ['a', 'b'],
    );
    expect(f).toMatchObject({ status: 'fail', message: 'changed after it was applied in a: migrations/1.sql; schema registry missing in b' });
    expect(f.hint).toContain('new migration file');
    expect(f.hint).toContain('mcpctl setup-db');
  });
});
