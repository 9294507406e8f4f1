/**
 * How URL keys take part in configuration. `DATABASE_URL` is read — HOST, PORT, USER and DB, the
 * password when POSTGRES_PASSWORD is unset, sslmode when POSTGRES_SSLMODE is — only when no source
 * sets any POSTGRES_* connection key. Otherwise every URL key is an output (what serve passes on,
 * what setup-db writes), compared with the POSTGRES_* values so that a stale one is warned about.
 */
import { registerSecret } from '../redact.js';
import type { Config, ConfigKey } from './keys.js';
import type { ConfigIssue, Source } from './load.js';
import { isUrlKey, parseDatabaseUrl, type DatabaseUrl } from './url-keys.js';

/** The connection keys whose presence makes URL keys outputs only. */
export const CONNECTION_KEYS = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_DB'] as const;

/** A URL key's winning value and where it came from. */
export interface UrlKeyValue {
  value: string;
  source: Source;
}

interface Layer {
  values: Map<string, { value: string; line: number }>;
  path: string;
}

/** Every URL key set by the environment, `.env.local` or `.env` (highest first; empty means unset). */
export function collectUrlKeys(env: Readonly<Record<string, string | undefined>>, layers: [Layer, string][]): Record<string, UrlKeyValue> {
  const out: Record<string, UrlKeyValue> = {};
  for (const [layer, rel] of [...layers].reverse()) {
    for (const [key, v] of layer.values) if (isUrlKey(key) && v.value !== '') out[key] = { value: v.value, source: { kind: 'file', label: `${rel}:${v.line}`, file: layer.path, line: v.line } };
  }
  for (const [key, value] of Object.entries(env)) if (isUrlKey(key) && value) out[key] = { value, source: { kind: 'environment', label: 'environment' } };
  for (const { value } of Object.values(out)) {
    try {
      const u = parseDatabaseUrl(value);
      registerSecret(u.password);
    } catch {
      // Invalid URLs are reported where they matter; redact() still masks URL-shaped passwords.
    }
  }
  return out;
}

/** The POSTGRES_* candidates DATABASE_URL supplies (lowest but defaults), or an issue when it cannot be parsed. */
export function urlCandidates(url: UrlKeyValue | undefined): { candidates: Partial<Record<ConfigKey, { value: string; source: Source }>>; issue?: ConfigIssue } {
  if (!url) return { candidates: {} };
  let u: DatabaseUrl;
  try {
    u = parseDatabaseUrl(url.value);
  } catch (e) {
    return { candidates: {}, issue: { key: 'DATABASE_URL', source: url.source.label, message: (e as Error).message } };
  }
  const source: Source = { ...url.source, label: `DATABASE_URL (${url.source.label})` } as Source;
  const c: Partial<Record<ConfigKey, { value: string; source: Source }>> = {};
  const put = (k: ConfigKey, v: string | number | undefined) => {
    if (v !== undefined && v !== '') c[k] = { value: String(v), source };
  };
  put('POSTGRES_HOST', u.host);
  put('POSTGRES_PORT', u.port);
  put('POSTGRES_USER', u.user);
  put('POSTGRES_DB', u.database);
  put('POSTGRES_PASSWORD', u.password);
  put('POSTGRES_SSLMODE', u.sslmode);
  return { candidates: c };
}

/** Warnings for URL keys that disagree with the configuration (never showing a password). */
export function urlDisagreements(urlKeys: Record<string, UrlKeyValue>, cfg: Config, appPassword: string | undefined): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const [key, { value, source }] of Object.entries(urlKeys)) {
    let u: DatabaseUrl;
    try {
      u = parseDatabaseUrl(value);
    } catch (e) {
      out.push({ key, source: source.label, message: `${(e as Error).message}; the server cannot use it` });
      continue;
    }
    const diffs: string[] = [];
    if (u.host !== undefined && u.host !== cfg.POSTGRES_HOST) diffs.push(`host ${u.host} ≠ POSTGRES_HOST ${cfg.POSTGRES_HOST}`);
    if ((u.port ?? 5432) !== cfg.POSTGRES_PORT) diffs.push(`port ${u.port ?? 5432} ≠ POSTGRES_PORT ${cfg.POSTGRES_PORT}`);
    if (u.user !== undefined && u.user !== cfg.POSTGRES_USER) diffs.push(`user ${u.user} ≠ POSTGRES_USER ${cfg.POSTGRES_USER}`);
    // Other URL keys may name other databases (a registry, the tests); DATABASE_URL is the main one.
    if (key === 'DATABASE_URL' && u.database !== undefined && u.database !== cfg.POSTGRES_DB) diffs.push(`database ${u.database} ≠ POSTGRES_DB ${cfg.POSTGRES_DB}`);
    if (appPassword !== undefined && u.password !== undefined && u.password !== appPassword) diffs.push("its password is not the app user's");
    if (diffs.length) out.push({ key, source: source.label, message: `disagrees with the configuration: ${diffs.join(', ')} (mcpctl setup-db rewrites the URL keys the project declares)` });
  }
  return out;
}
