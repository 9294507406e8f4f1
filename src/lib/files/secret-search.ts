/**
 * The one search for known secrets (the app password, a password-file entry) in file contents,
 * shared by rollback's pre-flight (what the stash would copy into git), verify-env's client-file
 * check and its history search. Byte-exact on any file, text or binary, and streamed in bounded
 * chunks so a 1 GB log costs a few MiB of memory.
 *
 * Forms searched, each because users really write a password that way:
 *   - as it is, and JSON-escaped (`\"`, `\\`, `\uXXXX`: MCP client files and other JSON);
 *   - percent-encoded, in any mix (upper- or lowercase hex, every byte or only the reserved
 *     ones): connection URLs (`DATABASE_URL=postgresql://u:p%40ss@h/db`). Searched as the
 *     percent-decoded view of the bytes, so no list of spellings can miss one;
 *   - base64, standard and URL-safe alphabet, at each of the three alignments, so it is found
 *     inside `base64("user:" + password)` too: Kubernetes Secret manifests (`data:`), HTTP Basic
 *     `Authorization` headers and Docker `auths` entries carry passwords that way.
 *   - UTF-16 (LE and BE), JSON with `\/` or ASCII-only (`\u00e4`), .pgpass-escaped (`\:`, `\\`);
 *   - base64 wrapped over lines (`base64` breaks at 76 characters): searched with CR/LF/space out;
 *   - inside a gzip file (decompressed, streamed, up to GUNZIP_CAP bytes).
 * Not searched: hashes (SCRAM verifiers, md5) — they are no password a reader could use — and
 * other encodings (hex, rot13, other compressors), which nobody writes a password in by hand.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';

/**
 * Shortest secret searched for. Shorter values would match ordinary text (a 4-letter password
 * is a common word) and make every refusal a false one; the configuration already refuses an
 * app password under 16 characters.
 */
export const MIN_SEARCHED_SECRET = 8;

/** Bytes read per step of a file search: memory stays flat whatever the file's size. */
const CHUNK = 1 << 20;

/** The byte patterns that betray a set of secrets: compiled once, searched in many files. */
export interface SecretForms {
  /** Searched in the bytes as they are (plain, JSON-escaped, base64 cores). */
  raw: Buffer[];
  /** Searched in the percent-decoded view of the bytes (the plain secrets). */
  decoded: Buffer[];
  /** Searched in the bytes with CR, LF and spaces taken out (base64 cores: `base64` wraps at 76 characters). */
  squeezed: Buffer[];
}

/** The forms of every secret of at least MIN_SEARCHED_SECRET bytes (undefined and duplicates skipped). */
export function secretForms(secrets: Iterable<string | undefined>): SecretForms {
  const raw = new Map<string, Buffer>();
  const decoded = new Map<string, Buffer>();
  const squeezed = new Map<string, Buffer>();
  const add = (to: Map<string, Buffer>, b: Buffer) => to.set(b.toString('latin1'), b);
  for (const s of secrets) {
    if (!s) continue;
    const plain = Buffer.from(s, 'utf8');
    if (plain.length < MIN_SEARCHED_SECRET) continue;
    add(decoded, plain);
    for (const text of textForms(s)) add(raw, Buffer.from(text, 'utf8'));
    // UTF-16 copies (Windows editors, PowerShell's `>`), both byte orders.
    const le = Buffer.from(s, 'utf16le');
    add(raw, le);
    add(raw, Buffer.from(le).swap16());
    for (const core of base64Cores(plain)) add(squeezed, core);
  }
  return { raw: [...raw.values()], decoded: [...decoded.values()], squeezed: [...squeezed.values()] };
}

/**
 * The secret as text files spell it: plain; JSON-escaped (JavaScript's `\"`, `\\`), also with
 * `\/` (PHP, some encoders) and ASCII-only (Python's json.dumps default: `\u00e4`); and
 * .pgpass-escaped (`\:`, `\\`).
 */
function textForms(s: string): string[] {
  const json = JSON.stringify(s).slice(1, -1);
  const ascii = json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const pgpass = s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  return [s, json, ascii, json.replace(/\//g, '\\/'), ascii.replace(/\//g, '\\/'), pgpass];
}

/** Whether `forms` holds no secret at all (nothing to search for). */
export function noSecrets(forms: SecretForms): boolean {
  return forms.raw.length === 0;
}

/**
 * The base64 characters that encode `plain` whatever bytes surround it: for a prefix of 0, 1 or
 * 2 bytes in its 3-byte group, the characters that mix in neighbouring bits are cut off.
 */
function base64Cores(plain: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const lead of [0, 1, 2]) {
    const enc = Buffer.concat([Buffer.alloc(lead), plain]).toString('base64').replace(/=+$/, '');
    const total = lead + plain.length;
    // Characters of the first group shared with the prefix: none, 2 (x.ab → XY..), 3.
    const head = [0, 2, 3][lead]!;
    // The last, partial group: its last character holds bits of whatever follows.
    const tail = total % 3 === 0 ? 0 : 1;
    const core = enc.slice(head, enc.length - tail);
    if (core.length < MIN_SEARCHED_SECRET) continue;
    out.push(Buffer.from(core, 'latin1'));
    const urlSafe = core.replace(/\+/g, '-').replace(/\//g, '_');
    if (urlSafe !== core) out.push(Buffer.from(urlSafe, 'latin1'));
  }
  return out;
}

const PERCENT = 0x25;

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * A running search over a stream of chunks: each chunk is searched together with the tail of
 * the one before, so a secret split between two reads is still found.
 */
export class SecretScanner {
  readonly #forms: SecretForms;
  readonly #rawKeep: number;
  readonly #decKeep: number;
  readonly #sqKeep: number;
  #sqTail: Buffer = Buffer.alloc(0);
  #rawTail: Buffer = Buffer.alloc(0);
  #decTail: Buffer = Buffer.alloc(0);
  /** An escape cut by the chunk's end (`%` or `%X`), completed by the next chunk. */
  #pending: Buffer = Buffer.alloc(0);
  /** Set at the first `%`: from then on the decoded view differs from the raw one. */
  #decoding = false;
  found = false;

  constructor(forms: SecretForms) {
    this.#forms = forms;
    this.#rawKeep = Math.max(0, ...forms.raw.map((b) => b.length - 1));
    this.#decKeep = Math.max(0, ...forms.decoded.map((b) => b.length - 1));
    this.#sqKeep = Math.max(0, ...forms.squeezed.map((b) => b.length - 1));
  }

  /** The base64 cores, searched with CR, LF and spaces taken out (a wrapped encoding is one run again). */
  #squeezed(chunk: Buffer): boolean {
    if (!this.#forms.squeezed.length) return false;
    const sq = Buffer.concat([this.#sqTail, squeeze(chunk)]);
    if (this.#forms.squeezed.some((n) => sq.includes(n))) return true;
    this.#sqTail = Buffer.from(sq.subarray(Math.max(0, sq.length - this.#sqKeep)));
    return false;
  }

  /** Searches one more chunk; returns `found` (true once any form was seen). */
  push(chunk: Buffer): boolean {
    if (this.found || noSecrets(this.#forms)) return this.found;
    const raw = this.#rawTail.length ? Buffer.concat([this.#rawTail, chunk]) : chunk;
    if (this.#forms.raw.some((n) => raw.includes(n)) || this.#squeezed(chunk)) return (this.found = true);
    this.#rawTail = Buffer.from(raw.subarray(Math.max(0, raw.length - this.#rawKeep)));
    // Until the first `%`, the decoded view is the raw one, already searched: only its tail is kept.
    if (!this.#decoding && !chunk.includes(PERCENT)) {
      this.#decTail = Buffer.from(raw.subarray(Math.max(0, raw.length - this.#decKeep)));
      return false;
    }
    this.#decoding = true;
    const input = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const { bytes, pending } = percentDecode(input);
    this.#pending = pending;
    const dec = Buffer.concat([this.#decTail, bytes]);
    if (this.#forms.decoded.some((n) => dec.includes(n))) return (this.found = true);
    this.#decTail = Buffer.from(dec.subarray(Math.max(0, dec.length - this.#decKeep)));
    return false;
  }
}

/** `bytes` without CR, LF and space (the bytes themselves when they hold none). */
function squeeze(bytes: Buffer): Buffer {
  if (!bytes.includes(0x0a) && !bytes.includes(0x0d) && !bytes.includes(0x20)) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  for (const c of bytes) if (c !== 0x0a && c !== 0x0d && c !== 0x20) out[o++] = c;
  return out.subarray(0, o);
}

/** `%XY` (either case) → one byte; anything else as it is; an escape cut at the end is returned apart. */
function percentDecode(input: Buffer): { bytes: Buffer; pending: Buffer } {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  let i = 0;
  for (; i < input.length; i++) {
    const c = input[i]!;
    if (c !== PERCENT) {
      out[o++] = c;
      continue;
    }
    if (i + 2 >= input.length) break;
    const hi = hexValue(input[i + 1]);
    const lo = hexValue(input[i + 2]);
    if (hi < 0 || lo < 0) {
      out[o++] = c;
      continue;
    }
    out[o++] = (hi << 4) | lo;
    i += 2;
  }
  // Only a `%` in the last two bytes can be the start of an escape the next chunk completes.
  return { bytes: out.subarray(0, o), pending: Buffer.from(input.subarray(i)) };
}

/** Whether `bytes` (a whole file or blob held in memory) contain any form of the secrets. */
export function bytesHoldSecret(bytes: Buffer, forms: SecretForms): boolean {
  if (new SecretScanner(forms).push(bytes)) return true;
  if (!isGzip(bytes)) return false;
  try {
    return new SecretScanner(forms).push(gunzipSync(bytes, { maxOutputLength: GUNZIP_CAP }));
  } catch {
    // Corrupt, or more than GUNZIP_CAP once decompressed: only its bytes as they are were searched.
    return false;
  }
}

/**
 * Decompressed bytes searched per gzip file (`… | gzip > env.gz` keeps a password as readable
 * as the plain copy). Bounded so that a decompression bomb cannot stall the search; what lies
 * beyond is not searched.
 */
const GUNZIP_CAP = 256 * 1024 * 1024;
const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Whether the gzip file's decompressed content (its first GUNZIP_CAP bytes) holds a secret; streamed. */
async function gzipHoldsSecret(file: string, forms: SecretForms): Promise<boolean> {
  const scanner = new SecretScanner(forms);
  const stream = createReadStream(file).pipe(createGunzip());
  let seen = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (scanner.push(chunk)) return true;
      seen += chunk.length;
      if (seen >= GUNZIP_CAP) return false;
    }
  } catch {
    // Not gzip after all, or cut short: its bytes as they are were searched.
  } finally {
    stream.destroy();
  }
  return false;
}

/**
 * Whether the file at `file` contains any form of the secrets, read in CHUNK-sized steps (never
 * whole). With `followLinks: false` a symbolic link's target path is searched instead of what it
 * points to: that path is all git stores of a link.
 */
export async function fileHoldsSecret(file: string, forms: SecretForms, opts: { followLinks?: boolean } = {}): Promise<boolean> {
  if (noSecrets(forms)) return false;
  const st = opts.followLinks === false ? await fs.lstat(file) : await fs.stat(file);
  if (st.isSymbolicLink()) return bytesHoldSecret(await fs.readlink(file, { encoding: 'buffer' }), forms);
  if (!st.isFile()) return false;
  const scanner = new SecretScanner(forms);
  const handle = await fs.open(file, 'r');
  let gzip: boolean | undefined;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      gzip ??= isGzip(buf.subarray(0, bytesRead));
      // A copy: the scanner keeps a tail of it while `buf` is reused for the next read.
      if (scanner.push(Buffer.from(buf.subarray(0, bytesRead)))) return true;
    }
  } finally {
    await handle.close();
  }
  return gzip === true && gzipHoldsSecret(file, forms);
}
