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

/** libpq's pwdfMatchesString: the offset after the field's `:` when it matches `token`. */
function matchField(line: Buffer, pos: number, token: Buffer): number | undefined {
  if (line[pos] === 0x2a && line[pos + 1] === 0x3a) return pos + 2; // `*:`
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

/** Offset of the password field when libpq would use `line` for `tokens`. */
export function libpqLineMatches(line: LibpqLine, tokens: MatchTokens): number | undefined {
  if (line.comment || line.bytes.length === 0) return undefined;
  let p: number | undefined = 0;
  for (const t of [tokens.host, tokens.port, tokens.database, tokens.user]) {
    p = matchField(line.bytes, p, cToken(t));
    if (p === undefined) return undefined;
  }
  return p;
}

/** The password bytes libpq takes for `tokens` (first matching line), with its line's index. */
export function libpqLookup(data: Uint8Array, tokens: MatchTokens): { password: Buffer; index: number } | undefined {
  const lines = libpqLines(data);
  for (let i = 0; i < lines.length; i++) {
    const p = libpqLineMatches(lines[i]!, tokens);
    if (p !== undefined) return { password: readPassword(lines[i]!.bytes, p), index: i };
  }
  return undefined;
}

/** Python's str.strip() whitespace. */
const PY_STRIP = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;

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
  text.split('\n').forEach((physical, line) => physical.split('\r').forEach((raw) => {
    const s = raw.replace(PY_STRIP, '');
    if (s === '' || s.startsWith('#')) return;
    const protectedText = s.replace(/\\\\/g, '\n');
    const fields: string[] = [];
    let cur = '';
    for (let i = 0; i < protectedText.length; i++) {
      const c = protectedText[i]!;
      if (c === ':' && fields.length < 4 && protectedText[i - 1] !== '\\') {
        fields.push(cur);
        cur = '';
      } else cur += c;
    }
    fields.push(cur);
    rows.push({ fields: fields.map((f) => f.replace(/\n/g, '\\\\')), line });
  }));
  return rows;
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
