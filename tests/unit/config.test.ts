import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, editDistance, loadConfig, maskValue } from '../../src/lib/config/load.js';
import { isExamplePassword } from '../../src/lib/config/keys.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject | undefined;
afterEach(async () => {
  await p?.cleanup();
  p = undefined;
});

const GOOD = 'Zq8vN2mK4xR7tW1pL9sD3fG6';

describe('loadConfig', () => {
  it('applies defaults when nothing is set', async () => {
    p = await tempProject();
    const c = await loadConfig({ cwd: p.dir, env: {} });
    expect(c.values).toMatchObject({ POSTGRES_HOST: 'localhost', POSTGRES_PORT: 5432, POSTGRES_USER: 'mcp_user', MCP_SERVER_PORT: 8002, MAX_ACTIVE_PROJECTS: 50, DEFAULT_TOKEN_BUDGET: 200000 });
    expect(c.values.POSTGRES_PASSWORD).toBeUndefined();
    expect(c.resolved.POSTGRES_DB.source).toEqual({ kind: 'default', label: 'default' });
  });

  it('takes flags over environment over .env.local over .env over defaults, and records what each overrode', async () => {
    p = await tempProject({ '.env': 'POSTGRES_DB=from_env\nPOSTGRES_PORT=6000\nPOSTGRES_USER=env_user\n', '.env.local': 'POSTGRES_DB=from_local\nPOSTGRES_PORT=6001\n' });
    const c = await loadConfig({ cwd: p.dir, env: { POSTGRES_PORT: '6002', PATH: '/bin' }, flags: { POSTGRES_DB: 'from_flag' }, flagNames: { POSTGRES_DB: '--db' } });
    expect(c.values.POSTGRES_DB).toBe('from_flag');
    expect(c.values.POSTGRES_PORT).toBe(6002);
    expect(c.values.POSTGRES_USER).toBe('env_user');
    expect(c.resolved.POSTGRES_DB.source?.label).toBe('--db');
    expect(c.resolved.POSTGRES_DB.overridden.map((o) => o.source.label)).toEqual(['.env.local:1', '.env:1', 'default']);
    expect(c.resolved.POSTGRES_PORT.source?.label).toBe('environment');
    expect(c.resolved.POSTGRES_USER.source?.label).toBe('.env:3');
  });

  it('reports every invalid value together, each with file:line or "environment"', async () => {
    p = await tempProject({
      '.env': 'POSTGRES_PORT=70000\nPOSTGRES_PASSWORD=tooshort10\nPOSTGRES_USER=mcp-user; drop\nthis line is broken\nPOSTGRES_DB=a\nPOSTGRES_DB=b\n',
      '.env.local': 'POSTGRES_SSLMODE=sometimes\n',
    });
    const err = await loadConfig({ cwd: p.dir, env: { MCP_LOG_LEVEL: 'TRACE' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const got = (err as ConfigError).issues.map((i) => `${i.source} ${i.key ?? ''}`.trim());
    expect(got).toEqual(
      expect.arrayContaining(['.env:1 POSTGRES_PORT', '.env:2 POSTGRES_PASSWORD', '.env:3 POSTGRES_USER', '.env:4', '.env.local:1 POSTGRES_SSLMODE', 'environment MCP_LOG_LEVEL']),
    );
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as ConfigError).message).not.toContain('tooshort10');
    // A duplicate is a warning (the last wins, as in python-dotenv), not an error.
    expect(got).not.toContain('.env:6');
    expect((err as ConfigError).warnings.map((w) => w.source)).toContain('.env:6');
  });

  it('rejects example passwords', async () => {
    p = await tempProject({ '.env': 'POSTGRES_PASSWORD=your_password_here\n' });
    const err = (await loadConfig({ cwd: p.dir, env: {} }).catch((e) => e)) as ConfigError;
    expect(err.issues[0]).toMatchObject({ key: 'POSTGRES_PASSWORD', source: '.env:1' });
    expect(err.issues[0]!.message).toMatch(/example value/);
  });

  it('warns about unknown keys with a suggestion, and about SETUP_POSTGRES_PASSWORD in a file', async () => {
    p = await tempProject({ '.env': `POSTGRES_PASWORD=${GOOD}\nAPP_THING=1\nSETUP_POSTGRES_PASSWORD=admin-secret-x\n` });
    const c = await loadConfig({ cwd: p.dir, env: {} });
    expect(c.warnings.map((w) => [w.key, w.source])).toEqual([
      ['POSTGRES_PASWORD', '.env:1'],
      ['APP_THING', '.env:2'],
      ['SETUP_POSTGRES_PASSWORD', '.env:3'],
    ]);
    expect(c.warnings[0]!.message).toContain('did you mean POSTGRES_PASSWORD?');
    expect(c.values.SETUP_POSTGRES_PASSWORD).toBeUndefined();
  });

  it('treats an empty value in a file as unset', async () => {
    p = await tempProject({ '.env': 'POSTGRES_PASSWORD=\nPOSTGRES_PORT=\n' });
    const c = await loadConfig({ cwd: p.dir, env: {} });
    expect(c.values.POSTGRES_PASSWORD).toBeUndefined();
    expect(c.values.POSTGRES_PORT).toBe(5432);
  });

  it('accepts host names, IP addresses and socket directories, and rejects the rest', async () => {
    p = await tempProject();
    for (const h of ['db.example.com', '127.0.0.1', '::1', '/var/run/postgresql', 'localhost']) {
      await expect(loadConfig({ cwd: p.dir, env: { POSTGRES_HOST: h } })).resolves.toMatchObject({ values: { POSTGRES_HOST: h } });
    }
    for (const h of ['not a host', 'relative/dir', 'a..b']) {
      await expect(loadConfig({ cwd: p.dir, env: { POSTGRES_HOST: h } })).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it('validates MCP_SERVER_COMMAND quoting and integer ranges', async () => {
    p = await tempProject();
    const err = (await loadConfig({ cwd: p.dir, env: { MCP_SERVER_COMMAND: 'python "unterminated', MAX_ACTIVE_PROJECTS: '1001', DEFAULT_TOKEN_BUDGET: '0' } }).catch((e) => e)) as ConfigError;
    expect(err.issues.map((i) => i.key).sort()).toEqual(['DEFAULT_TOKEN_BUDGET', 'MAX_ACTIVE_PROJECTS', 'MCP_SERVER_COMMAND']);
  });

  it('words an open-ended range as "at least" or "too large", never with the largest safe integer', async () => {
    p = await tempProject();
    for (const [value, words] of [['0', 'must be at least 1'], ['99999999999999999999', 'is too large'], ['12k', 'must be a whole number of at least 1']] as const) {
      const err = (await loadConfig({ cwd: p.dir, env: { DEFAULT_TOKEN_BUDGET: value } }).catch((e) => e)) as ConfigError;
      expect(err.issues.map((i) => i.message)).toEqual([expect.stringContaining(words)]);
      expect(err.message).not.toContain('9007199254740991');
    }
  });
});

describe('helpers', () => {
  it('masks secrets and shows other values', () => {
    expect(maskValue('POSTGRES_PASSWORD', GOOD)).toBe(`******** (${GOOD.length} chars)`);
    expect(maskValue('POSTGRES_DB', 'x')).toBe('x');
    expect(maskValue('MCP_LOG_FILE', undefined)).toBe('(unset)');
  });

  it('knows example passwords', () => {
    expect(isExamplePassword('ChangeMe_please_12345')).toBe(true);
    expect(isExamplePassword(GOOD)).toBe(false);
  });

  it('computes edit distance', () => {
    expect(editDistance('POSTGRES_PASWORD', 'POSTGRES_PASSWORD')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
