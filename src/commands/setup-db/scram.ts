/**
 * SCRAM-SHA-256 verifiers (RFC 5802 / RFC 7677) in PostgreSQL's stored form, computed
 * locally so that `ALTER ROLE … PASSWORD` carries a verifier and never the cleartext —
 * what psql's `\password` does. PostgreSQL runs SASLprep on the password first; for
 * printable ASCII that is the identity, which is why only such passwords are accepted here.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** PostgreSQL's default (scram_iterations, PG 16+) and the fixed value before. */
export const SCRAM_ITERATIONS = 4096;
export const SCRAM_SALT_BYTES = 16;

/** The parts of a stored verifier. */
export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  if (!PRINTABLE_ASCII.test(password)) {
    // Anything else would need SASLprep (RFC 4013) to match the server's own computation.
    throw new Error('SCRAM verifier: the password must be non-empty printable ASCII');
  }
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return { storedKey, serverKey };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64 parts). */
export function scramVerifier(password: string, opts: { salt?: Buffer; iterations?: number } = {}): string {
  const salt = opts.salt ?? randomBytes(SCRAM_SALT_BYTES);
  const iterations = opts.iterations ?? SCRAM_ITERATIONS;
  const { storedKey, serverKey } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

const FORMAT = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Parses a stored verifier; undefined for anything else (md5 hashes, plain text, null). */
export function parseScramVerifier(v: string | null | undefined): ScramVerifier | undefined {
  const m = v ? FORMAT.exec(v) : null;
  if (!m) return undefined;
  return { iterations: Number(m[1]), salt: Buffer.from(m[2]!, 'base64'), storedKey: Buffer.from(m[3]!, 'base64'), serverKey: Buffer.from(m[4]!, 'base64') };
}

/** True when `password` is the one `verifier` was made from. */
export function scramVerifierMatches(password: string, verifier: string | null | undefined): boolean {
  const v = parseScramVerifier(verifier);
  if (!v || !PRINTABLE_ASCII.test(password)) return false;
  const k = keys(password, v.salt, v.iterations);
  return k.storedKey.length === v.storedKey.length && timingSafeEqual(k.storedKey, v.storedKey) && timingSafeEqual(k.serverKey, v.serverKey);
}
