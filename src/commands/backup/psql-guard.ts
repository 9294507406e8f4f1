/**
 * Guards the plain-SQL stream that restore feeds to psql: psql runs client-side
 * commands (`\!`, `\connect`, `\copy … program`, `\o |cmd`, …) wherever its lexer
 * finds a backslash outside quotes, and a checksum proves nothing about safety.
 *
 * The scanner follows psql's own lexer (psqlscan.l, PostgreSQL 15–17) closely
 * enough to know, for every byte, whether psql sees SQL, a quoted string, a comment
 * or COPY data; anything ambiguous between psql versions or settings is refused
 * rather than guessed. Refused: a backslash outside quotes and COPY data (except
 * pg_dump's own `\restrict`/`\unrestrict` lines, which are dropped — this scanner
 * enforces what they ask psql to enforce — and the `BEGIN;`/`COMMIT;` line pair pg_dump
 * writes around large-object data, dropped too), psql variable references, transaction
 * control (the restore's own BEGIN/COMMIT must hold), COPY in any form but
 * pg_dump's one-line `COPY … FROM stdin;`, NUL bytes, and a file that ends inside
 * a statement, string or COPY block.
 *
 * It streams: the lexer keeps its state across chunks and passes bytes on as soon as
 * they are lexed, holding back only an unfinished token (at most MAX_TOKEN bytes), so
 * time is linear and memory flat whatever the length of a line (review A3). Passing a
 * partial line is safe: psql acts on a line only once it is whole, and the restore's
 * transaction is committed by mcpctl alone, after `end()` proved psql sits between
 * statements.
 */
import { COPY_LINE, COPY_START, countNL, MAX_TOKEN, NL, RESTRICT_LINE, St, UnsafeScriptError } from './psql-lexicon.js';
import { SqlLexer, WAIT } from './psql-lexer.js';

const EMPTY: Buffer = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');

export class PsqlScriptGuard extends SqlLexer {
  private carry: Buffer = EMPTY;
  private copy = false;
  private copyLineStart = true;
  /** Newlines copyScan passed in this push (see push). */
  private copyLines = 0;
  private endsInNL = true;
  /** Inside pg_dump's large-object `BEGIN;` … `COMMIT;` (both lines dropped). */
  private blobTx = false;
  /** A `\restrict` line found by the last step: [from, to) in `buf`, replaced by a newline. */
  private drop: [number, number] | undefined;

  /** `maxToken`: the longest token held back while its end is awaited (tests lower it). */
  constructor(private readonly maxToken = MAX_TOKEN) {
    super();
  }

  /** Checks a chunk; returns the bytes that may go to psql now. Throws UnsafeScriptError. */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    this.endsInNL = chunk[chunk.length - 1] === NL;
    const whole = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    // A NUL byte is refused wherever it is: scanning stops there.
    const nul = whole.indexOf(0);
    const buf = nul >= 0 ? whole.subarray(0, nul) : whole;
    this.buf = buf;
    const out: Buffer[] = [];
    let seg = 0;
    let pos = 0;
    // Lines are counted once: by copyScan in COPY data (it finds every newline anyway), and by
    // countNL over each stretch of SQL between COPY blocks.
    let lines = 0;
    let sqlFrom = 0;
    while (pos < buf.length) {
      const inCopy = this.copy;
      const next = inCopy ? this.copyScan(pos) : this.step(pos);
      if (next === WAIT) break;
      if (!inCopy && this.copy) lines += countNL(buf, sqlFrom, next);
      else if (inCopy && !this.copy) sqlFrom = next;
      if (this.drop) {
        out.push(buf.subarray(seg, this.drop[0]), NEWLINE);
        seg = this.drop[1];
        this.drop = undefined;
      }
      if (next > pos) this.lineStart = buf[next - 1] === NL;
      pos = next;
    }
    if (nul >= 0) throw new UnsafeScriptError(this.lineAt(nul), this.copy ? 'holds a NUL byte in COPY data' : 'holds a NUL byte');
    if (buf.length - pos > this.maxToken) throw new UnsafeScriptError(this.lineAt(pos), `holds a word, number or COPY line longer than ${this.maxToken} bytes, which no pg_dump writes`);
    if (pos > seg) out.push(buf.subarray(seg, pos));
    if (!this.copy) lines += countNL(buf, sqlFrom, pos);
    this.line += lines + this.copyLines;
    this.copyLines = 0;
    this.carry = pos < buf.length ? Buffer.from(buf.subarray(pos)) : EMPTY;
    this.buf = EMPTY;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The end of the input: the last line, and proof that psql would be between statements. */
  end(): Buffer {
    const last = this.endsInNL ? EMPTY : this.push(NEWLINE);
    const line = this.line;
    if (this.copy) throw new UnsafeScriptError(line, 'is the end of the file inside COPY data (no `\\.` line): the file is truncated');
    if (this.st !== St.Normal || this.carry.length) throw new UnsafeScriptError(line, 'is the end of the file inside a quoted string or comment: the file is truncated');
    if (this.blobTx) throw new UnsafeScriptError(line, "is the end of the file inside pg_dump's large-object block (`BEGIN;` without `COMMIT;`): the file is truncated");
    if (!this.stmt.clean) throw new UnsafeScriptError(line, 'is the end of the file in the middle of a statement: the file is truncated');
    return last;
  }

  /** COPY data from `pos`, passed on whole: returns where it ends (the `\.` line included), or WAIT. */
  private copyScan(pos: number): number {
    const buf = this.buf;
    let p = pos;
    while (p < buf.length) {
      if (this.copyLineStart && buf[p] === 0x5c) {
        // psql ends COPY at a line that is exactly `\.` (psql 15: "\\.\n" or "\\.\r\n").
        const rest = buf.length - p;
        if (rest < 3 || (buf[p + 1] === 0x2e && buf[p + 2] === 0x0d && rest < 4)) return p > pos ? p : WAIT;
        const end = buf[p + 1] === 0x2e ? (buf[p + 2] === NL ? p + 3 : buf[p + 2] === 0x0d && buf[p + 3] === NL ? p + 4 : -1) : -1;
        if (end > 0) {
          this.copy = false;
          this.copyLines++;
          return end;
        }
      }
      const nl = buf.indexOf(NL, p);
      if (nl < 0) {
        this.copyLineStart = false;
        return buf.length;
      }
      this.copyLineStart = true;
      this.copyLines++;
      p = nl + 1;
    }
    return p;
  }

  /** At the start of a line: pg_dump's `\restrict` line (dropped) or its COPY line (COPY data follows). */
  protected lineHead(i: number): number | undefined {
    const buf = this.buf;
    if (buf[i] === 0x5c && this.stmt.clean) {
      const nl = buf.indexOf(NL, i);
      if (nl > 0 && nl - i < 256 && RESTRICT_LINE.test(buf.toString('latin1', i, nl + 1))) {
        this.drop = [i, nl + 1];
        return nl + 1;
      }
      return undefined;
    }
    // pg_dump wraps large-object data in `BEGIN;` … `COMMIT;` lines of their own. Inside the
    // restore's transaction they are dropped as a pair (the data stays in that one transaction);
    // any other transaction control is refused by the lexer.
    if (this.stmt.clean && (buf[i] === 0x42 || buf[i] === 0x43)) {
      const nl = buf.indexOf(NL, i);
      if (nl > 0 && nl - i <= 8 && buf.toString('latin1', i, nl).replace(/\r$/, '') === (this.blobTx ? 'COMMIT;' : 'BEGIN;')) {
        this.drop = [i, nl + 1];
        this.blobTx = !this.blobTx;
        return nl + 1;
      }
    }
    if (!COPY_START.test(buf.toString('latin1', i, i + 5))) return undefined;
    const nl = buf.indexOf(NL, i);
    if (nl < 0) return WAIT;
    if (!COPY_LINE.test(buf.toString('latin1', i, nl + 1))) return undefined;
    if (!this.stmt.clean) this.refuse(i, 'starts COPY inside an unfinished statement');
    this.copy = true;
    this.copyLineStart = true;
    return nl + 1;
  }

}
