import { describe, expect, it } from 'vitest';
import { redact, REDACTED, SecretRegistry } from '../../src/lib/cli/redact.js';

describe('redact', () => {
  it('replaces registered secrets everywhere', () => {
    const secrets = new SecretRegistry();
    secrets.add('s3cret-value-123');
    expect(secrets.redact('a s3cret-value-123 b s3cret-value-123')).toBe(`a ${REDACTED} b ${REDACTED}`);
    expect(redact('a s3cret-value-123', ['s3cret-value-123'])).toBe(`a ${REDACTED}`);
  });

  it('keeps each registry to itself: no secret is shared between runs', () => {
    const a = new SecretRegistry();
    const b = new SecretRegistry();
    a.add('only-in-run-a');
    expect(a.redact('x only-in-run-a')).toBe(`x ${REDACTED}`);
    expect(b.redact('x only-in-run-a')).toBe('x only-in-run-a');
    expect(redact('x only-in-run-a')).toBe('x only-in-run-a');
  });

  it('replaces URL passwords, KEY=value credentials and SCRAM verifiers', () => {
    expect(redact('postgres://u:pw@host/db')).toBe(`postgres://u:${REDACTED}@host/db`);
    expect(redact('POSTGRES_PASSWORD=abc PGPASSWORD="x y" OTHER=1')).toBe(`POSTGRES_PASSWORD=${REDACTED} PGPASSWORD=${REDACTED} OTHER=1`);
    expect(redact("ALTER ROLE x PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy'")).toBe(`ALTER ROLE x PASSWORD '${REDACTED}'`);
  });

  it('ignores very short values and empty assignments', () => {
    const secrets = new SecretRegistry();
    secrets.add('ab');
    expect(secrets.redact('ab abc')).toBe('ab abc');
    expect(secrets.redact('POSTGRES_PASSWORD=')).toBe('POSTGRES_PASSWORD=');
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const secrets = new SecretRegistry();
    secrets.add('secret');
    secrets.add('secret-longer');
    expect(secrets.redact('x secret-longer y')).toBe(`x ${REDACTED} y`);
  });

  it('tells a subscriber every secret, past and new, once each, until it unsubscribes', () => {
    const secrets = new SecretRegistry();
    secrets.add('before-subscribe');
    const seen: string[] = [];
    const stop = secrets.subscribe((v) => seen.push(v));
    secrets.add('after-subscribe');
    secrets.add('after-subscribe');
    secrets.add('ab');
    stop();
    secrets.add('after-stop');
    expect(seen).toEqual(['before-subscribe', 'after-subscribe']);
  });
});
