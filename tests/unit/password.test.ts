import { describe, expect, it } from 'vitest';
import { formatDotenvValue, parseDotenv, setDotenvKey } from '../../src/lib/config/dotenv.js';
import { isExamplePassword } from '../../src/lib/config/keys.js';
import { generatePassword, PASSWORD_ALPHABET } from '../../src/commands/setup-db/password.js';
import { escapeField, lookupPgpass, mergePgpass } from '../../src/lib/config/pgpass.js';

describe('generatePassword', () => {
  it('is 40 characters from the URL-, .env- and .pgpass-safe alphabet, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(40);
      expect(p).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{39}$/);
      expect(encodeURIComponent(p)).toBe(p);
      expect(escapeField(p)).toBe(p);
      expect(formatDotenvValue(p)).toBe(p);
      expect(isExamplePassword(p)).toBe(false);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
    expect(new Set(PASSWORD_ALPHABET).size).toBe(64);
  });

  it('round-trips through .env and the password file', () => {
    const p = generatePassword(32);
    expect(p).toHaveLength(32);
    const env = setDotenvKey('# keep me\nOTHER=1\n', 'POSTGRES_PASSWORD', p);
    expect(parseDotenv(env).entries.find((e) => e.key === 'POSTGRES_PASSWORD')!.value).toBe(p);
    const key = { host: 'localhost', port: 5432, database: 'db', user: 'u' };
    expect(lookupPgpass(mergePgpass('', [{ ...key, password: p }]), key)).toBe(p);
  });

  it('never makes short passwords', () => {
    expect(() => generatePassword(16)).toThrow(/at least 32/);
  });

  it('uses every symbol (no stuck bits)', () => {
    const all = new Set(Array.from({ length: 100 }, () => generatePassword()).join(''));
    expect(all.size).toBe(64);
  });
});
