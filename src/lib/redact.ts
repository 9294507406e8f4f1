/**
 * The one redaction function. Every string that mcpctl prints or logs passes through
 * `redact`, which replaces each registered secret and anything shaped like a credential.
 */
const secrets = new Set<string>();

/** Shortest value treated as a secret; shorter strings would mangle ordinary text. */
const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

let listener: ((value: string) => void) | undefined;

/** Registers a value that must never be printed (a password, a verifier). */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  listener?.(value);
}

/**
 * Calls `fn` with every secret registered so far, then with each new one the moment it is
 * registered — before anything could print it (GitHub Actions' ::add-mask::). Returns the
 * function that stops it.
 */
export function onSecretRegistered(fn: (value: string) => void): () => void {
  for (const s of secrets) fn(s);
  listener = fn;
  return () => {
    if (listener === fn) listener = undefined;
  };
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@\s/]+)@/gi;
const KEY_VALUE = /\b([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN)[A-Z0-9_]*)=("[^"]*"|'[^']*'|[^\s]*)/g;
const SCRAM_VERIFIER = /SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/g;

/** Returns `text` with every known secret and credential-shaped substring replaced. */
export function redact(text: string, extra: Iterable<string> = []): string {
  let out = text;
  const all = [...secrets, ...[...extra].filter((s) => s && s.length >= MIN_SECRET_LENGTH)];
  // Longest first, so a secret that contains another is replaced whole.
  all.sort((a, b) => b.length - a.length);
  for (const s of all) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  out = out.replace(SCRAM_VERIFIER, REDACTED);
  out = out.replace(URL_PASSWORD, (_m, head: string) => `${head}:${REDACTED}@`);
  out = out.replace(KEY_VALUE, (_m, key: string, value: string) => (value === '' ? `${key}=` : `${key}=${REDACTED}`));
  return out;
}
