import { describe, expect, it } from 'vitest';
import { evaluateVersion, percentile, poolLimitHint, selectVerifyDbChecks, VERIFY_DB_CHECKS } from '../../src/core/verify-db.js';
import { UsageError } from '../../src/lib/errors.js';
import { isScratchName, SCRATCH_PREFIX, scratchName, scratchOwnerAppName } from '../../src/lib/scratch-db.js';

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
