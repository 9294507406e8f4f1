import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/lib/cli/redact.js';
import { advisoryKey, withAdvisoryLock } from '../../src/commands/setup-db/advisory-lock.js';
import { InterruptedError, UserError } from '../../src/lib/cli/errors.js';
import { scramVerifier, scramVerifierMatches } from '../../src/commands/setup-db/scram.js';
import { connectAdmin } from '../../src/commands/setup-db/server.js';
import type { Config } from '../../src/lib/config/keys.js';
import { adminClient, adminQuery, dropAll, harness, uniqueName } from '../helpers/pg.js';

describe('SCRAM verifiers against the real server', () => {
  it('the server accepts a login with a verifier computed here (fixed salt), and stores it as given', async () => {
    const role = uniqueName('scram');
    const password = 'Fixed-Salt-Password_0123456789-abc';
    const v = scramVerifier(password, { salt: Buffer.from('00112233445566778899aabbccddeeff', 'hex') });
    expect(v.startsWith('SCRAM-SHA-256$4096:ABEiM0RVZneImaq7zN3u/w==$')).toBe(true);
    try {
      await adminQuery(`CREATE ROLE "${role}" LOGIN PASSWORD '${v}'`);
      expect((await adminQuery<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role]))[0]!.p).toBe(v);
      const h = harness();
      const ok = new pg.Client({ host: h.host, port: h.port, user: role, password, database: 'postgres' });
      await ok.connect();
      expect((await ok.query('SELECT current_user AS u')).rows[0].u).toBe(role);
      await ok.end();
      const bad = new pg.Client({ host: h.host, port: h.port, user: role, password: password + 'x', database: 'postgres' });
      await expect(bad.connect()).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await dropAll({ roles: [role] });
    }
  });

  it('recognises a verifier the server computed itself', async () => {
    const role = uniqueName('scram');
    try {
      await adminQuery(`CREATE ROLE "${role}" PASSWORD 'server-side-password-42'`);
      const stored = (await adminQuery<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role]))[0]!.p;
      expect(scramVerifierMatches('server-side-password-42', stored)).toBe(true);
      expect(scramVerifierMatches('server-side-password-43', stored)).toBe(false);
    } finally {
      await dropAll({ roles: [role] });
    }
  });
});

describe('connectAdmin', () => {
  const cfg = () => {
    const h = harness();
    return { POSTGRES_HOST: h.host, POSTGRES_PORT: h.port, POSTGRES_SSLMODE: 'disable', SETUP_POSTGRES_USER: h.superuser } as unknown as Config;
  };
  const ctx = { env: { PGPASSFILE: '/nonexistent/pgpass' }, home: '/nonexistent', secrets: new SecretRegistry(), libpqSocketDir: () => '/var/run/postgresql' };

  it('asks for the admin password only when the server wants one, and says where it came from', async () => {
    const asked: string[] = [];
    const a = await connectAdmin(cfg(), ctx, async (m) => {
      asked.push(m);
      return harness().superuserPassword;
    });
    await a.client.end();
    expect(a.passwordSource).toBe('prompt');
    expect(asked).toEqual([`Password for the PostgreSQL admin role ${harness().superuser}:`]);
  });

  it('a wrong typed password, or none, is an auth error naming the admin role', async () => {
    await expect(connectAdmin(cfg(), ctx, async () => 'wrong-admin-password')).rejects.toMatchObject({ code: 'auth', message: expect.stringContaining('(password from prompt)') });
    await expect(connectAdmin(cfg(), ctx, async () => undefined)).rejects.toMatchObject({ code: 'auth', message: expect.stringContaining('(password from none)') });
  });
});

describe('withAdvisoryLock', () => {
  it('waits while another session holds the lock, then runs; gives up after the timeout; stops on abort', async () => {
    const name = uniqueName('lock');
    const holder = await adminClient();
    const waiter = await adminClient();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey(name)]);
      await expect(withAdvisoryLock(waiter, name, async () => 'never', { timeoutMs: 150, pollMs: 20 })).rejects.toBeInstanceOf(UserError);

      const aborted = new AbortController();
      setTimeout(() => aborted.abort(), 100);
      await expect(withAdvisoryLock(waiter, name, async () => 'never', { signal: aborted.signal, pollMs: 20 })).rejects.toBeInstanceOf(InterruptedError);

      let waited = 0;
      const run = withAdvisoryLock(waiter, name, async () => 'ran', { pollMs: 20, onWait: () => waited++ });
      setTimeout(() => void holder.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryKey(name)]), 150);
      expect(await run).toBe('ran');
      expect(waited).toBe(1);
      // Released afterwards: the other session can take it at once.
      expect((await holder.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [advisoryKey(name)])).rows[0].ok).toBe(true);
    } finally {
      await holder.end();
      await waiter.end();
    }
  });
});
