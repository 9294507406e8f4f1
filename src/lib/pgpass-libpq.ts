/**
 * The password file as libpq reads it, byte for byte (fe-connect.c, passwordFromFile and
 * pwdfMatchesString), and as asyncpg reads it (connect_utils._read_password_file), which
 * differs. Pure functions over Buffers: the file is bytes, not UTF-8 text, to libpq.
 * Differential tests (tests/integration/readers-pgpass.test.ts) hold both to the real readers.
 */

/** libpq reads a line into a growing buffer with fgets; a NUL ends the text fgets returned. */
export interface LibpqLine {
  /** The line as libpq matches it: NUL-truncated pieces joined, trailing CR/LF stripped. */
  bytes: Buffer;
  /** libpq skips it: it starts with `#`. */
  comment: boolean;
  /** Byte offsets in the file: where libpq started reading the line, and where it stopped. */
  start: number;
  end: number;
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * Splits the file into the lines libpq sees. It mirrors libpq's loop exactly: a PQExpBuffer
 * starting at 256 bytes, grown to keep 128 free; fgets into the free space; strlen (so the
 * bytes after a NUL in what one fgets call returned are lost, newline included, and the line
 * runs on into the next); a line is complete at `\n` or end of file.
 */
export function libpqLines(input: Uint8Array): LibpqLine[] {
  const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const out: LibpqLine[] = [];
  let maxlen = 256;
  let pieces: Buffer[] = [];
  let len = 0;
  let lastByte = -1;
  let pos = 0;
  let start = 0;
  let eof = false;
  while (!eof) {
    while (len + 128 + 1 > maxlen) maxlen *= 2;
    const room = maxlen - len - 1;
    if (pos >= data.length) break; // fgets returns NULL: nothing more to read
    const nl = data.indexOf(NL, pos);
    const end = Math.min(nl === -1 ? data.length : nl + 1, pos + room);
    // glibc sets end-of-file only when it tried to read past the end.
    if (end === data.length && data[end - 1] !== NL && end - pos < room) eof = true;
    const chunk = data.subarray(pos, end);
    pos = end;
    const nul = chunk.indexOf(0);
    const piece = nul === -1 ? chunk : chunk.subarray(0, nul);
    if (piece.length) {
      pieces.push(piece);
      len += piece.length;
      lastByte = piece[piece.length - 1]!;
    }
    if (!(len > 0 && lastByte === NL) && !eof) continue;
    const buf = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, len);
    let l = len;
    while (l > 0 && (buf[l - 1] === NL || buf[l - 1] === CR)) l--;
    out.push({ bytes: buf.subarray(0, l), comment: len > 0 && buf[0] === 0x23, start, end: pos });
    pieces = [];
    len = 0;
    lastByte = -1;
    start = pos;
  }
  return out;
}

/**
 * libpq's pwdfMatchesString: the offset after the field's `:` when it matches `token`.
 * `exact`: a `*` field is only the character `*` (how mcpctl compares keys, not libpq).
 */
function matchField(line: Buffer, pos: number, token: Buffer, exact = false): number | undefined {
  if (!exact && line[pos] === 0x2a && line[pos + 1] === 0x3a) return pos + 2; // `*:`
  let i = pos;
  let t = 0;
  while (i < line.length) {
    let escaped = false;
    if (line[i] === 0x5c) {
      i++;
      escaped = true;
    }
    if (i < line.length && line[i] === 0x3a && t === token.length && !escaped) return i + 1;
    if (t === token.length) return undefined;
    if (i < line.length && line[i] === token[t]) {
      i++;
      t++;
    } else return undefined;
  }
  return undefined;
}

/** libpq's de-escaping of the password field: up to the first unescaped `:` or the end. */
function readPassword(line: Buffer, pos: number): Buffer {
  const out: number[] = [];
  for (let i = pos; i < line.length && line[i] !== 0x3a; i++) {
    if (line[i] === 0x5c && i + 1 < line.length) i++;
    out.push(line[i]!);
  }
  return Buffer.from(out);
}

/** A C string: what libpq sees of a token (up to a NUL). */
function cToken(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const nul = b.indexOf(0);
  return nul === -1 ? b : b.subarray(0, nul);
}

/** The four tokens libpq matches, host already mapped (see pgpassHost). */
export interface MatchTokens {
  host: string;
  port: string;
  database: string;
  user: string;
}

/** The four tokens as the C strings libpq compares (encoded once per lookup, not per line). */
const encode = (t: MatchTokens): Buffer[] => [t.host, t.port, t.database, t.user].map(cToken);

function matchesEncoded(line: LibpqLine, tokens: Buffer[]): number | undefined {
  if (line.comment || line.bytes.length === 0) return undefined;
  let p: number | undefined = 0;
  for (const t of tokens) {
    p = matchField(line.bytes, p, t);
    if (p === undefined) return undefined;
  }
  return p;
}

/** Offset of the password field when libpq would use `line` for `tokens`. */
export function libpqLineMatches(line: LibpqLine, tokens: MatchTokens): number | undefined {
  return matchesEncoded(line, encode(tokens));
}

/**
 * A test for "this line's four key fields, de-escaped, are exactly `key`'s" (no wildcard): the
 * same entry as libpq would compare it. Works on the raw bytes and rejects at the first
 * differing byte, with the key encoded once, so a large file costs little. A line may end in CR
 * (libpq strips it; it is never in a key field of a five-field line).
 */
export function sameKeyMatcher(key: MatchTokens): (line: Buffer) => boolean {
  const tokens = [key.host, key.port, key.database, key.user].map((t) => Buffer.from(t, 'utf8'));
  return (line) => {
    if (line.length === 0 || line[0] === 0x23) return false;
    let p: number | undefined = 0;
    for (const t of tokens) {
      p = matchField(line, p, t, true);
      if (p === undefined) return false;
    }
    return true;
  };
}

/** The password bytes libpq takes for `tokens` (first matching line), with its line's index. */
export function libpqLookup(data: Uint8Array, tokens: MatchTokens): { password: Buffer; index: number } | undefined {
  return libpqLookupAll(libpqLines(data), [tokens])[0];
}

/** libpqLookup for several token sets in one pass over lines already split. */
export function libpqLookupAll(lines: readonly LibpqLine[], list: readonly MatchTokens[]): ({ password: Buffer; index: number } | undefined)[] {
  const out: ({ password: Buffer; index: number } | undefined)[] = list.map(() => undefined);
  const encoded = list.map(encode);
  let left = list.length;
  for (let i = 0; i < lines.length && left > 0; i++) {
    for (let k = 0; k < list.length; k++) {
      if (out[k]) continue;
      const p = matchesEncoded(lines[i]!, encoded[k]!);
      if (p === undefined) continue;
      out[k] = { password: readPassword(lines[i]!.bytes, p), index: i };
      left--;
    }
  }
  return out;
}

/** Python's str.isspace() (what str.strip() removes): \t-\r, \x1c-\x1f, space, \x85, NBSP, Unicode spaces. */
function isPyWs(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Python's str.strip(). */
function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPyWs(s.charCodeAt(a))) a++;
  while (b > a && isPyWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** A `:` not preceded by `\\` (asyncpg's field separator). */
const SEPARATOR = /(?<!\\):/g;

/** One line of the file as asyncpg keeps it: its fields (never de-escaped), and its position. */
export interface AsyncpgRow {
  fields: string[];
  /** 0-based index of the `\n`-delimited line it is in (a CR may split one into several rows). */
  line: number;
}

/**
 * asyncpg's reading: UTF-8 text with universal newlines (a lone CR ends a line), each line
 * stripped of whitespace, `#` lines skipped, split on `:` not preceded by `\` into at most five
 * fields — and NO de-escaping (`\:` and `\\` stay as written). Undefined when the bytes are not
 * UTF-8: asyncpg's connect then fails with UnicodeDecodeError.
 */
export function asyncpgRows(data: Uint8Array): AsyncpgRow[] | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    return undefined;
  }
  const rows: AsyncpgRow[] = [];
  // Universal newlines: `\r` alone also ends a line; `line` stays the `\n`-delimited index.
  let line = 0;
  for (let start = 0; start <= text.length; line++) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const physical = text.slice(start, end);
    for (const raw of physical.includes('\r') ? physical.split('\r') : [physical]) {
      const s = pyStrip(raw);
      if (s !== '' && s.charCodeAt(0) !== 0x23) rows.push({ fields: asyncpgFields(s), line });
    }
    if (nl === -1) break;
    start = nl + 1;
  }
  return rows;
}

/** re.split(r'(?<!\\):', line, maxsplit=4) after `\\` became a newline (and back), as asyncpg does. */
function asyncpgFields(s: string): string[] {
  const fields: string[] = [];
  let from = 0;
  if (!s.includes('\\')) {
    for (let c = s.indexOf(':'); c !== -1 && fields.length < 4; c = s.indexOf(':', from)) {
      fields.push(s.slice(from, c));
      from = c + 1;
    }
    fields.push(s.slice(from));
    return fields;
  }
  const protectedText = s.replace(/\\\\/g, '\n');
  SEPARATOR.lastIndex = 0;
  for (let m = SEPARATOR.exec(protectedText); m && fields.length < 4; m = SEPARATOR.exec(protectedText)) {
    fields.push(protectedText.slice(from, m.index));
    from = m.index + 1;
  }
  fields.push(protectedText.slice(from));
  return fields.map((f) => f.replace(/\n/g, '\\\\'));
}

/**
 * What asyncpg does for a connection: 'crash' when a row before the match has fewer than five
 * fields (its tuple unpacking raises), else the first matching row. Socket paths → localhost.
 */
export function asyncpgLookup(rows: AsyncpgRow[], key: { host: string; port: string; database: string; user: string }): { password: string; row: AsyncpgRow } | 'crash' | undefined {
  const host = key.host.startsWith('/') ? 'localhost' : key.host;
  for (const row of rows) {
    if (row.fields.length < 5) return 'crash';
    const [h, p, d, u, pw] = row.fields as [string, string, string, string, string];
    if (h !== '*' && h !== host) continue;
    if (p !== '*' && p !== key.port) continue;
    if (d !== '*' && d !== key.database) continue;
    if (u !== '*' && u !== key.user) continue;
    return { password: pw, row };
  }
  return undefined;
}
