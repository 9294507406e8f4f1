// URL keys: parsing with percent-decoding and +driver, writing with percent-encoding, and how
// DATABASE_URL takes part in configuration (only when no POSTGRES_* connection key is set).
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/load.js';
import { formatDatabaseUrl, isUrlKey, maskDatabaseUrl, parseDatabaseUrl } from '../../src/lib/config/url-keys.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject | undefined;
afterEach(async () => {
  await p?.cleanup();
  p = undefined;
});

const HARD = 'p@ss:w/rd%23#?&=+ é';

describe('URL keys', () => {
  it('names: every key ending in DATABASE_URL', () => {
    expect(['DATABASE_URL', 'REGISTRY_DATABASE_URL', 'TEST_DATABASE_URL'].every(isUrlKey)).toBe(true);
    expect(['DATABASE_URLS', 'DATABASE', 'MY_DB_URL'].some(isUrlKey)).toBe(false);
  });

  it('parses the parts, percent-decoded, with +driver, IPv6, socket folders and query parameters', () => {
    expect(parseDatabaseUrl('postgresql+asyncpg://mcp_user:s%40cr%3At%2F%25%23%3F@db.example:6543/codebase_mcp')).toMatchObject({
      scheme: 'postgresql+asyncpg',
      host: 'db.example',
      port: 6543,
      user: 'mcp_user',
      password: 's@cr:t/%#?',
      database: 'codebase_mcp',
    });
    expect(parseDatabaseUrl('postgres://u@[::1]/d?sslmode=require')).toMatchObject({ host: '::1', port: undefined, sslmode: 'require', password: undefined });
    expect(parseDatabaseUrl('postgresql:///d?host=/var/run/postgresql')).toMatchObject({ host: '/var/run/postgresql', database: 'd' });
    expect(parseDatabaseUrl('postgresql://u:p@%2Ftmp%2Fsock:5433/d')).toMatchObject({ host: '/tmp/sock', port: 5433 });
    expect(() => parseDatabaseUrl('mysql://u:p@h/d')).toThrow(/postgresql:\/\/ or postgres:\/\//);
    expect(() => parseDatabaseUrl('postgresql://u:pa#ss@h/d')).toThrow(/%23/);
    expect(() => parseDatabaseUrl('not a url')).toThrow(/percent-encode/);
    expect(() => parseDatabaseUrl('postgresql://u:p@h:99999/d')).toThrow();
  });

  it('writes every part percent-encoded, so parsing gives back exactly what was written', () => {
    const parts = { scheme: 'postgresql+asyncpg', user: 'mcp_user', password: HARD, host: 'localhost', port: 5432, database: 'db' };
    const url = formatDatabaseUrl(parts);
    expect(url).toBe(`postgresql+asyncpg://mcp_user:${encodeURIComponent(HARD)}@localhost:5432/db`);
    expect(parseDatabaseUrl(url)).toMatchObject({ ...parts, host: 'localhost' });
    expect(parseDatabaseUrl(formatDatabaseUrl({ ...parts, host: '::1' })).host).toBe('::1');
    const sock = formatDatabaseUrl({ ...parts, host: '/var/run/postgresql', query: 'sslmode=disable' });
    expect(parseDatabaseUrl(sock)).toMatchObject({ host: '/var/run/postgresql', sslmode: 'disable', password: HARD });
    for (let i = 0; i < 200; i++) {
      const pw = Array.from({ length: 1 + (i % 40) }, (_, k) => String.fromCharCode(32 + ((i * 7 + k * 13) % 95))).join('');
      expect(parseDatabaseUrl(formatDatabaseUrl({ ...parts, password: pw })).password).toBe(pw);
    }
  });

  it('masks the password for display', () => {
    expect(maskDatabaseUrl('postgresql+asyncpg://u:s%40cret@h:5432/d')).toBe('postgresql+asyncpg://u:********@h:5432/d');
    expect(maskDatabaseUrl('postgresql://u:abc@h/d#x y')).not.toContain('abc');
  });
});

describe('DATABASE_URL as configuration', () => {
  it('supplies host, port, user, database, password and sslmode when no POSTGRES_* connection key is set', async () => {
    p = await tempProject({ '.env': `DATABASE_URL=postgresql+asyncpg://app_user:${encodeURIComponent('Hx7@k:9/Lm%2#Qr?Tz4Wv')}@db.internal:6432/app_db?sslmode=require\n` });
    const c = await loadConfig({ cwd: p.dir, env: {} });
    expect(c.configuredByUrl).toBe(true);
    expect(c.values).toMatchObject({ POSTGRES_HOST: 'db.internal', POSTGRES_PORT: 6432, POSTGRES_USER: 'app_user', POSTGRES_DB: 'app_db', POSTGRES_PASSWORD: 'Hx7@k:9/Lm%2#Qr?Tz4Wv', POSTGRES_SSLMODE: 'require' });
    expect(c.resolved.POSTGRES_HOST.source?.label).toBe('DATABASE_URL (.env:1)');
    expect(c.warnings).toEqual([]);
  });

  it('POSTGRES_PASSWORD set elsewhere wins over the URL password; the URL in the environment works too', async () => {
    p = await tempProject({ '.env.local': 'POSTGRES_PASSWORD=Zq8vN2mK4xR7tW1pL9sD3fG6\n' });
    const c = await loadConfig({ cwd: p.dir, env: { DATABASE_URL: 'postgres://u1:Other0000000000000000@h1/d1' } });
    expect(c.values).toMatchObject({ POSTGRES_USER: 'u1', POSTGRES_DB: 'd1', POSTGRES_PASSWORD: 'Zq8vN2mK4xR7tW1pL9sD3fG6', POSTGRES_PORT: 5432 });
  });

  it('is an output only once any POSTGRES_* connection key is set: never read back, a disagreement warned about', async () => {
    p = await tempProject({
      '.env': 'POSTGRES_DB=main_db\nREGISTRY_DATABASE_URL=postgresql+asyncpg://mcp_user:x@localhost:5432/registry\n',
      // What an older setup-db run wrote, naming the test database: it must not redirect anything.
      '.env.local': 'DATABASE_URL=postgresql://mcp_user:Zq8vN2mK4xR7tW1pL9sD3fG6@localhost:5432/test_db\n',
    });
    const c = await loadConfig({ cwd: p.dir, env: {} });
    expect(c.configuredByUrl).toBe(false);
    expect(c.values.POSTGRES_DB).toBe('main_db');
    expect(c.values.POSTGRES_PASSWORD).toBeUndefined();
    expect(Object.keys(c.urlKeys).sort()).toEqual(['DATABASE_URL', 'REGISTRY_DATABASE_URL']);
    const w = c.warnings.map((x) => `${x.source} ${x.key} ${x.message}`);
    expect(w).toEqual([expect.stringMatching(/^\.env\.local:1 DATABASE_URL disagrees with the configuration: database test_db ≠ POSTGRES_DB main_db/)]);
    expect(w.join()).not.toMatch(/unknown key/);
  });

  it('an invalid DATABASE_URL that is the configuration is a configuration error naming its source', async () => {
    p = await tempProject({ '.env': 'DATABASE_URL=postgresql://u:pa#ss@h/d\n' });
    await expect(loadConfig({ cwd: p.dir, env: {} })).rejects.toThrow(/\.env:1: DATABASE_URL contains "#"/);
  });
});

describe('verify-env --explain', () => {
  it('lists URL keys with their password masked and the source that set them', async () => {
    const { explainRows } = await import('../../src/core/verify-env.js');
    p = await tempProject({ '.env': 'POSTGRES_USER=mcp_user\nREGISTRY_DATABASE_URL=postgresql+asyncpg://mcp_user:S3cr%40tValue0000000000@localhost:5432/registry\n' });
    const c = await loadConfig({ cwd: p.dir, env: {} });
    const rows = explainRows(c.resolved, c.urlKeys);
    const row = rows.find((r) => r.key === 'REGISTRY_DATABASE_URL')!;
    expect(row).toMatchObject({ value: 'postgresql+asyncpg://mcp_user:********@localhost:5432/registry', source: '.env:2' });
    expect(JSON.stringify(rows)).not.toContain('S3cr');
  });
});
