import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { decodeDotenv, parseDotenv } from './dotenv.js';
import { CONFIG_KEYS, KEYS, type Config, type ConfigKey, type KeyDef } from './keys.js';
import { collectUrlKeys, CONNECTION_KEYS, urlCandidates, urlDisagreements, type UrlKeyValue } from './url-config.js';
import { isUrlKey } from './url-keys.js';
import { editDistance } from '../suggest.js';

/** Where a value came from. */
export type Source =
  | { kind: 'flag'; label: string }
  | { kind: 'environment'; label: 'environment' }
  | { kind: 'file'; label: string; file: string; line: number }
  | { kind: 'default'; label: 'default' };

/** A key's winning value and the values it overrode, highest source first. */
export interface Resolved {
  key: ConfigKey;
  value: string | undefined;
  source: Source | undefined;
  overridden: { value: string; source: Source }[];
}

export interface ConfigIssue {
  key?: string;
  source: string;
  message: string;
}

/** Result of loading: validated values, provenance, and warnings. */
export interface LoadedConfig {
  values: Config;
  resolved: Record<ConfigKey, Resolved>;
  warnings: ConfigIssue[];
  files: { env: string; envLocal: string; envExists: boolean; envLocalExists: boolean };
  /** Every URL key (name ending in DATABASE_URL) set by the environment or a file, winning value first. */
  urlKeys: Record<string, UrlKeyValue>;
  /** True when DATABASE_URL supplied the connection settings (no POSTGRES_* connection key was set). */
  configuredByUrl: boolean;
  /** True when some source sets POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER or POSTGRES_DB. */
  connectionKeysSet: boolean;
}

/** Every invalid value, reported together (exit 2). */
export class ConfigError extends UsageError {
  readonly issues: ConfigIssue[];
  /** What each key resolved to, for `--explain` even when values are invalid. */
  readonly resolved: Record<ConfigKey, Resolved> | undefined;
  readonly warnings: ConfigIssue[];
  constructor(issues: ConfigIssue[], resolved?: Record<ConfigKey, Resolved>, warnings: ConfigIssue[] = []) {
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n') +
        (warnings.length ? '\nwarnings:\n' + warnings.map((i) => `  ${formatIssue(i)}`).join('\n') : ''),
      {
        code: 'config',
        hint: 'fix the values above; `mcpctl verify-env --explain` shows where each value comes from',
        details: { issues, warnings },
      },
    );
    this.warnings = warnings;
    this.name = 'ConfigError';
    this.issues = issues;
    this.resolved = resolved;
  }
}

export interface LoadOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags (highest precedence). */
  flags?: Partial<Record<ConfigKey, string>>;
  /** Labels for flags in messages, e.g. { POSTGRES_DB: '--db' }. */
  flagNames?: Partial<Record<ConfigKey, string>>;
}

interface FileLayer {
  path: string;
  exists: boolean;
  values: Map<string, { value: string; line: number }>;
}

async function readLayer(
  file: string,
  issues: ConfigIssue[],
  warnings: ConfigIssue[],
  rel: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<FileLayer> {
  let bytes: Buffer;
  try {
    // python-dotenv reads only regular files (os.path.isfile, after symlinks): a FIFO, device
    // or folder is skipped, never opened (opening a FIFO would block).
    const st = await stat(file);
    if (!st.isFile()) {
      warnings.push({ source: rel, message: 'is not a regular file (a FIFO, device or folder): python-dotenv ignores it, and so does mcpctl' });
      return { path: file, exists: false, values: new Map() };
    }
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      // pathlib's is_file() (pydantic-settings asks it first) is False for a looping link.
      warnings.push({ source: rel, message: 'is a symbolic link that loops: python-dotenv ignores it, and so does mcpctl' });
    } else if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      const why = code === 'EACCES' ? 'permission denied (the server could not read it either)' : code === 'EIO' ? 'an I/O error' : (code ?? (e as Error).message);
      issues.push({ source: rel, message: `cannot be read: ${why}` });
    } else if (await lstat(file).then((l) => l.isSymbolicLink(), () => false)) {
      warnings.push({ source: rel, message: 'is a symbolic link to a file that does not exist: python-dotenv ignores it, and so does mcpctl' });
    }
    return { path: file, exists: false, values: new Map() };
  }
  const text = decodeDotenv(bytes);
  if (text === undefined) {
    issues.push({ source: rel, message: 'is not valid UTF-8: python-dotenv (the servers\' reader) cannot read it; save it as UTF-8' });
    return { path: file, exists: true, values: new Map() };
  }
  // Expanded as the server expands it: against the file, then the environment it will get.
  const parsed = parseDotenv(text, env);
  for (const err of parsed.errors) issues.push({ source: `${rel}:${err.line}`, message: err.message });
  for (const w of parsed.warnings) warnings.push({ source: `${rel}:${w.line}`, message: w.message });
  const values = new Map<string, { value: string; line: number }>();
  for (const e of parsed.entries) {
    if (e.raw !== e.value) registerSecretIfKey(e.key, e.raw);
    if (!e.noValue) values.set(e.key, { value: e.value, line: e.line });
  }
  return { path: file, exists: true, values };
}

/** A secret's unexpanded spelling is redacted too. */
function registerSecretIfKey(key: string, raw: string): void {
  if (key in KEYS && (KEYS[key as ConfigKey] as KeyDef).secret) registerSecret(raw);
}

/**
 * Reads flags, the environment, `.env.local`, `.env` and defaults (highest first),
 * validates every key with zod, and throws one ConfigError listing all problems.
 */
export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const envPath = path.join(opts.cwd, '.env');
  const localPath = path.join(opts.cwd, '.env.local');
  const [envFile, localFile] = [await readLayer(envPath, issues, warnings, '.env', opts.env), await readLayer(localPath, issues, warnings, '.env.local', opts.env)];

  // "Did you mean" for the first unknown keys only: a generated env file may hold 100,000.
  let suggestions = 100;
  for (const [layer, rel] of [
    [envFile, '.env'],
    [localFile, '.env.local'],
  ] as const) {
    for (const [key, { line }] of layer.values) {
      if (isUrlKey(key)) continue;
      // A BOM glued to a known key is already explained by the BOM warning.
      if (key.startsWith('\ufeff') && key.slice(1) in KEYS) continue;
      if (!(key in KEYS)) {
        const near = suggestions-- > 0 ? closestKey(key) : undefined;
        warnings.push({
          key,
          source: `${rel}:${line}`,
          message: `unknown key${near ? ` (did you mean ${near}?)` : ''}`,
        });
      } else if ((KEYS[key as ConfigKey] as KeyDef).envOnly) {
        warnings.push({ key, source: `${rel}:${line}`, message: 'is read from the environment only; this line is ignored and should be removed' });
      }
    }
  }

  // DATABASE_URL is configuration only when no source sets a POSTGRES_* connection key.
  const urlKeys = collectUrlKeys(opts.env, [
    [localFile, '.env.local'],
    [envFile, '.env'],
  ]);
  const setSomewhere = (k: ConfigKey) => opts.flags?.[k] !== undefined || !!opts.env[k] || !!localFile.values.get(k)?.value || !!envFile.values.get(k)?.value;
  const connectionKeysSet = CONNECTION_KEYS.some(setSomewhere);
  const configuredByUrl = urlKeys.DATABASE_URL !== undefined && !connectionKeysSet;
  const fromUrl = configuredByUrl ? urlCandidates(urlKeys.DATABASE_URL) : { candidates: {} as ReturnType<typeof urlCandidates>['candidates'] };
  if (fromUrl.issue) issues.push(fromUrl.issue);

  const resolved = {} as Record<ConfigKey, Resolved>;
  const values: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const def: KeyDef = KEYS[key];
    const candidates: { value: string; source: Source }[] = [];
    const flag = opts.flags?.[key];
    if (flag !== undefined) candidates.push({ value: flag, source: { kind: 'flag', label: opts.flagNames?.[key] ?? 'command line' } });
    const envValue = opts.env[key];
    if (envValue !== undefined && envValue !== '') candidates.push({ value: envValue, source: { kind: 'environment', label: 'environment' } });
    if (!def.envOnly) {
      for (const [layer, rel] of [
        [localFile, '.env.local'],
        [envFile, '.env'],
      ] as const) {
        const v = layer.values.get(key);
        // An empty value in a file means "not set here", as in templates.
        if (v && v.value !== '') candidates.push({ value: v.value, source: { kind: 'file', label: `${rel}:${v.line}`, file: layer.path, line: v.line } });
      }
    }
    const url = fromUrl.candidates[key];
    if (url) candidates.push(url);
    if (def.default !== undefined) candidates.push({ value: def.default, source: { kind: 'default', label: 'default' } });
    if (def.secret) for (const c of candidates) registerSecret(c.value);
    const [win, ...rest] = candidates;
    resolved[key] = { key, value: win?.value, source: win?.source, overridden: rest };
    if (!win) continue;
    const r = def.schema.safeParse(win.value);
    if (r.success) values[key] = r.data;
    else for (const zi of r.error.issues) issues.push({ key, source: win.source.label, message: zi.message });
  }

  if (issues.length) throw new ConfigError(issues, resolved, warnings);
  // URL keys that are outputs: a stale one would send the server elsewhere than mcpctl checks.
  const outputs = Object.fromEntries(Object.entries(urlKeys).filter(([k]) => !(configuredByUrl && k === 'DATABASE_URL')));
  warnings.push(...urlDisagreements(outputs, values as unknown as Config, (values as { POSTGRES_PASSWORD?: string }).POSTGRES_PASSWORD));
  return {
    values: values as unknown as Config,
    resolved,
    warnings,
    files: { env: envPath, envLocal: localPath, envExists: envFile.exists, envLocalExists: localFile.exists },
    urlKeys,
    configuredByUrl,
    connectionKeysSet,
  };
}

/** `source: KEY message`, as every config problem is printed. */
export function formatIssue(i: ConfigIssue): string {
  return `${i.source}: ${i.key ? i.key + ' ' : ''}${i.message}`;
}

/** Masks a value for display: secrets show only their length. */
export function maskValue(key: ConfigKey, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if ((KEYS[key] as KeyDef).secret) return `******** (${value.length} chars)`;
  return value;
}

function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  const upper = key.toUpperCase();
  for (const k of CONFIG_KEYS) {
    // The distance is at least the difference in length: skip the work (a file may hold 100,000 keys).
    if (Math.abs(upper.length - k.length) >= bestD) continue;
    const d = editDistance(upper, k, bestD - 1);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

export { editDistance };
