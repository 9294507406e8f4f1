import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseScramVerifier, scramVerifier, scramVerifierMatches, SCRAM_ITERATIONS } from '../../src/commands/setup-db/scram.js';

// RFC 7677 §3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
const RFC = {
  password: 'pencil',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  authMessage:
    'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  clientProof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('scramVerifier', () => {
  it('matches the RFC 7677 test vector (server signature and client proof)', () => {
    const v = parseScramVerifier(scramVerifier(RFC.password, { salt: RFC.salt }))!;
    expect(v.iterations).toBe(4096);
    expect(v.salt.equals(RFC.salt)).toBe(true);
    // The server proves itself with HMAC(ServerKey, AuthMessage).
    expect(createHmac('sha256', v.serverKey).update(RFC.authMessage).digest('base64')).toBe(RFC.serverSignature);
    // The client's proof XOR HMAC(StoredKey, AuthMessage) is ClientKey, whose SHA-256 is StoredKey.
    const sig = createHmac('sha256', v.storedKey).update(RFC.authMessage).digest();
    const proof = Buffer.from(RFC.clientProof, 'base64');
    const clientKey = Buffer.from(proof.map((b, i) => b ^ sig[i]!));
    expect(createHash('sha256').update(clientKey).digest().equals(v.storedKey)).toBe(true);
  });

  it('has PostgreSQL’s stored format with a fresh 16-byte salt each time', () => {
    const a = scramVerifier('correct-horse-battery-staple-0123');
    const b = scramVerifier('correct-horse-battery-staple-0123');
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(parseScramVerifier(a)!.salt).toHaveLength(16);
    expect(SCRAM_ITERATIONS).toBe(4096);
  });

  it('checks a password against a verifier', () => {
    const v = scramVerifier('the-right-password-xyz');
    expect(scramVerifierMatches('the-right-password-xyz', v)).toBe(true);
    expect(scramVerifierMatches('the-wrong-password-xyz', v)).toBe(false);
    expect(scramVerifierMatches('x', 'md5abcdef')).toBe(false);
    expect(scramVerifierMatches('x', null)).toBe(false);
    expect(parseScramVerifier('SCRAM-SHA-256$4096:abc')).toBeUndefined();
  });

  it('refuses passwords SASLprep could change', () => {
    expect(() => scramVerifier('pässwörd-with-umlauts')).toThrow(/printable ASCII/);
    expect(() => scramVerifier('')).toThrow(/printable ASCII/);
    expect(scramVerifierMatches('pässwörd', scramVerifier('abcdefgh'))).toBe(false);
  });
});
