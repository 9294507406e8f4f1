import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, redact, registerSecret, REDACTED } from '../../src/lib/redact.js';

afterEach(() => clearSecrets());

describe('redact', () => {
  it('replaces registered secrets everywhere', () => {
    registerSecret('s3cret-value-123');
    expect(redact('a s3cret-value-123 b s3cret-value-123')).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('replaces URL passwords, KEY=value credentials and SCRAM verifiers', () => {
    expect(redact('postgres://u:pw@host/db')).toBe(`postgres://u:${REDACTED}@host/db`);
    expect(redact('POSTGRES_PASSWORD=abc PGPASSWORD="x y" OTHER=1')).toBe(`POSTGRES_PASSWORD=${REDACTED} PGPASSWORD=${REDACTED} OTHER=1`);
    expect(redact("ALTER ROLE x PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy'")).toBe(`ALTER ROLE x PASSWORD '${REDACTED}'`);
  });

  it('ignores very short values and empty assignments', () => {
    registerSecret('ab');
    expect(redact('ab abc')).toBe('ab abc');
    expect(redact('POSTGRES_PASSWORD=')).toBe('POSTGRES_PASSWORD=');
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    registerSecret('secret');
    registerSecret('secret-longer');
    expect(redact('x secret-longer y')).toBe(`x ${REDACTED} y`);
  });
});
