/**
 * Generated passwords: CSPRNG bytes mapped onto the base64url alphabet (A–Z a–z 0–9 - _),
 * which needs no escaping in URLs, `.env` files or the libpq password file, and is printable
 * ASCII (SASLprep leaves it unchanged, so locally computed SCRAM verifiers match the server's).
 */
import { randomBytes } from 'node:crypto';

export const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 40 characters × 6 bits = 240 bits of entropy. */
export const PASSWORD_LENGTH = 40;

export function generatePassword(length = PASSWORD_LENGTH): string {
  if (length < 32) throw new Error('generated passwords are at least 32 characters');
  // 64 symbols divide 256 evenly: taking 6 bits per byte has no modulo bias.
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += PASSWORD_ALPHABET[b & 63];
  // A leading '-' would read as an option if someone pastes it on a command line.
  return out[0] === '-' ? generatePassword(length) : out;
}
