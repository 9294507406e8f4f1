/**
 * Connection URLs as the Python servers read them (`DATABASE_URL=postgresql+asyncpg://u:p@h:5432/db`,
 * `REGISTRY_DATABASE_URL=…`): every key whose name ends in DATABASE_URL is a URL key. Parsed with
 * the WHATWG URL parser (never a regular expression), parts percent-decoded, `+driver` accepted;
 * written with every part percent-encoded, so passwords with `@ : / % # ?` survive asyncpg,
 * SQLAlchemy and libpq alike.
 */

/** A key whose name ends in DATABASE_URL. */
export function isUrlKey(key: string): boolean {
  return /^(?:[A-Za-z_][A-Za-z0-9_]*)?DATABASE_URL$/.test(key);
}

/** The parts of a connection URL (each undefined when the URL leaves it out). */
export interface DatabaseUrl {
  /** `postgresql`, `postgres`, optionally with `+driver` (`postgresql+asyncpg`). */
  scheme: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: string;
  /** The query string as written (without `?`), kept when the URL is rewritten. */
  query: string;
}

const SCHEME = /^(postgresql|postgres)(\+[a-z0-9_]+)?:$/i;

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Error(`its ${what} has an invalid percent-escape`);
  }
}

/** Parses a PostgreSQL connection URL; throws an Error whose message says what is wrong (never the password). */
export function parseDatabaseUrl(text: string): DatabaseUrl {
  // A fragment means nothing in a connection URL: a "#" is a password character left unencoded.
  if (text.includes('#')) throw new Error('contains "#": percent-encode it as %23 (in a password, too)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The WHATWG parser gives no reason; the usual one is a raw reserved character in the password.
    throw new Error('is not a URL (percent-encode "@", ":", "/", "#", "?" and "%" in the user name and password)');
  }
  if (!SCHEME.test(url.protocol)) throw new Error(`must start with postgresql:// or postgres:// (a +driver suffix such as postgresql+asyncpg:// is accepted), not ${url.protocol}//`);
  const params = new URLSearchParams(url.search);
  let host = url.hostname ? decode(url.hostname, 'host') : undefined;
  if (host?.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host?.includes(',')) throw new Error('names several hosts; mcpctl needs one');
  const queryHost = params.get('host') ?? undefined;
  const port = url.port ? Number(url.port) : params.get('port') ? Number(params.get('port')) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new Error('has an invalid port');
  const path = url.pathname.replace(/^\//, '');
  return {
    scheme: url.protocol.slice(0, -1).toLowerCase(),
    host: host || queryHost || undefined,
    port,
    user: url.username ? decode(url.username, 'user name') : params.get('user') ?? undefined,
    password: url.password ? decode(url.password, 'password') : params.get('password') ?? undefined,
    database: path ? decode(path, 'database name') : params.get('dbname') ?? undefined,
    sslmode: params.get('sslmode') ?? undefined,
    query: url.search.replace(/^\?/, ''),
  };
}

/** The parts a URL key is written from. */
export interface UrlParts {
  scheme: string;
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
  /** Extra query parameters to keep (as written, without `?`). */
  query?: string;
}

/**
 * A connection URL with every part percent-encoded. An IP v6 address is bracketed; a socket
 * folder is percent-encoded in the host position, as libpq documents it (`%2Fvar%2Frun%2Fpostgresql`).
 */
export function formatDatabaseUrl(p: UrlParts): string {
  const enc = encodeURIComponent;
  const hostPart = p.host.startsWith('/') ? enc(p.host) : p.host.includes(':') ? `[${p.host}]` : p.host;
  const params = new URLSearchParams(p.query ?? '');
  // The host is in the authority: a `host` parameter kept from a declared URL would override it.
  params.delete('host');
  const query = params.toString();
  return `${p.scheme}://${enc(p.user)}:${enc(p.password)}@${hostPart}:${p.port}/${enc(p.database)}${query ? `?${query}` : ''}`;
}

/** A URL with its password replaced by asterisks, for display (`--explain`). */
export function maskDatabaseUrl(text: string): string {
  try {
    const url = new URL(text);
    if (!url.password) return text;
    url.password = '********';
    return url.toString();
  } catch {
    // Not parseable: it may still hold a password somewhere; show only its length.
    return `******** (${text.length} chars, not a valid URL)`;
  }
}
