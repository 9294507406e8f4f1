/**
 * The one redaction function. Every string that mcpctl prints or logs passes through
 * `redact`, which replaces each known secret and anything shaped like a credential.
 * The secrets a run learns (passwords, verifiers) live in a `SecretRegistry` owned by that
 * run's context — no module-level state, so two runs in one process never share secrets.
 */

/** Shortest value treated as a secret; shorter strings would mangle ordinary text. */
import { printable } from './printable.js';

const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

/** The values one run must never print (a password, a verifier). Owned by the Context. */
export class SecretRegistry {
  readonly #values = new Set<string>();
  readonly #listeners = new Set<(value: string) => void>();

  /** Registers a value that must never be printed; too-short values are ignored. */
  add(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.#values.has(value)) return;
    this.#values.add(value);
    for (const fn of this.#listeners) fn(value);
  }

  /**
   * Calls `fn` with every secret registered so far, then with each new one the moment it is
   * added — before anything could print it (e.g. GitHub Actions' `::add-mask::`). Returns the
   * function that stops it.
   */
  subscribe(fn: (value: string) => void): () => void {
    for (const v of this.#values) fn(v);
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  /** `redact` with every registered secret. */
  redact(text: string): string {
    return redact(text, this.#values);
  }
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@\s/]+)@/gi;
const KEY_VALUE = /\b([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN)[A-Z0-9_]*)=("[^"]*"|'[^']*'|[^\s]*)/g;
const SCRAM_VERIFIER = /SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/g;

/** Returns `text` with each of `secrets` and every credential-shaped substring replaced. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const given = [...secrets].filter((s) => s && s.length >= MIN_SECRET_LENGTH);
  // A secret with a control character may reach here already escaped for the terminal (printable()).
  const all = [...new Set([...given, ...given.map(printable)])];
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
