/**
 * The byte-level lexer under the restore guard (psql-guard.ts): psqlscan.l's states — SQL,
 * quoted strings and identifiers, dollar quotes, nested block comments, line comments — and
 * its token rules, kept across chunks. Every step reads from `buf` at a position and returns
 * the next one, or WAIT when the bytes it needs have not arrived (the guard then carries the
 * unfinished token over to the next chunk).
 */
import { countNL, isDigit, numberEnd, isIdentCont, isIdentStart, isVarChar, LOOKAHEAD, NL, PLAIN, runEnd, St, StatementState, trailingBackslashes, UnsafeScriptError } from './psql-lexicon.js';

/** A step's answer when it needs bytes that have not arrived yet. */
export const WAIT = -1;

export abstract class SqlLexer {
  /** Line number (1-based) of the first byte of `buf`. */
  protected line = 1;
  protected buf: Buffer = Buffer.alloc(0);
  protected lineStart = true;
  protected st = St.Normal;
  protected readonly stmt = new StatementState();
  private bsRun = 0;
  private tag = '';
  private depth = 0;

  /** At the start of a line, before its first token: the guard's whole-line forms, or undefined. */
  protected abstract lineHead(i: number): number | undefined;

  /** The line of `buf[p]`, for an error (counted only then). */
  protected lineAt(p: number): number {
    return this.line + countNL(this.buf, 0, p);
  }

  protected refuse(p: number, why: string): never {
    throw new UnsafeScriptError(this.lineAt(p), why);
  }

  /** One step of the lexer from `i`: returns the next position (≥ i), or WAIT. */
  protected step(i: number): number {
    const buf = this.buf;
    switch (this.st) {
      case St.Quote:
        return this.quote(i);
      case St.Ident: {
        const q = buf.indexOf(0x22, i);
        if (q < 0) return buf.length;
        if (q + 1 >= buf.length) return q > i ? q : WAIT;
        if (buf[q + 1] === 0x22) return q + 2;
        this.st = St.Normal;
        return q + 1;
      }
      case St.Dollar: {
        const close = buf.indexOf(this.tag, i, 'latin1');
        if (close >= 0) {
          this.st = St.Normal;
          return close + this.tag.length;
        }
        // Keep what could be the start of the closing tag.
        const upTo = buf.length - (this.tag.length - 1);
        return upTo > i ? upTo : WAIT;
      }
      case St.Comment:
        return this.comment(i);
      case St.LineComment: {
        const nl = buf.indexOf(NL, i);
        if (nl < 0) return buf.length;
        this.st = St.Normal;
        return nl;
      }
      default:
        return this.normal(i);
    }
  }

  /**
   * Inside '…' (every kind alike): '' is a quote; a quote after an odd run of backslashes
   * ends the string in one reading (standard_conforming_strings on) and not in the other
   * (E'', or the setting off): ambiguous, so refused.
   */
  private quote(i: number): number {
    const buf = this.buf;
    const q = buf.indexOf(0x27, i);
    const end = q < 0 ? buf.length : q;
    if (end > i) {
      const t = trailingBackslashes(buf, i, end);
      this.bsRun = t.whole ? this.bsRun + t.run : t.run;
    }
    if (q < 0) return buf.length;
    if (this.bsRun % 2 === 1) this.refuse(q, 'has a backslash before a quote in a string literal, which psql may read as the string going on');
    if (q + 1 >= buf.length) return q > i ? q : WAIT;
    this.bsRun = 0;
    if (buf[q + 1] === 0x27) return q + 2;
    this.st = St.Normal;
    return q + 1;
  }

  /** Inside /* … *\/, which nests. */
  private comment(i: number): number {
    const buf = this.buf;
    let p = i;
    while (p < buf.length) {
      const b = buf[p]!;
      if (b === 0x2f || b === 0x2a) {
        if (p + 1 >= buf.length) return p > i ? p : WAIT;
        if (b === 0x2f && buf[p + 1] === 0x2a) {
          this.depth++;
          p += 2;
          continue;
        }
        if (b === 0x2a && buf[p + 1] === 0x2f) {
          p += 2;
          if (--this.depth === 0) {
            this.st = St.Normal;
            return p;
          }
          continue;
        }
      }
      p++;
    }
    return p;
  }


  /** One token outside quotes and comments; returns the next position, or WAIT. */
  private normal(i: number): number {
    const buf = this.buf;
    const b = buf[i]!;
    if (PLAIN[b]) {
      let j = i;
      let punct = false;
      for (let c = PLAIN[b]; c !== 0 && j < buf.length; c = PLAIN[buf[++j] ?? 0] ?? 0) if (c === 2) punct = true;
      if (punct) this.stmt.token();
      return j;
    }
    // A token's rules read up to LOOKAHEAD bytes or to the end of its line: wait for either.
    if (buf.length - i < LOOKAHEAD && buf.indexOf(NL, i) < 0) return WAIT;
    if (isDigit(b) || (b === 0x2e && isDigit(buf[i + 1] ?? 0))) {
      const j = numberEnd(buf, i);
      return j < 0 ? WAIT : this.afterNumber(j);
    }
    if (this.lineStart) {
      const head = this.lineHead(i);
      if (head !== undefined) return head;
    }
    if (b === 0x2d && buf[i + 1] === 0x2d) {
      this.st = St.LineComment;
      return i + 2;
    }
    if (b === 0x2f && buf[i + 1] === 0x2a) {
      this.st = St.Comment;
      this.depth = 1;
      return i + 2;
    }
    if (b === 0x5c) {
      const cmd = /^\\[^\s\\]*/.exec(buf.toString('utf8', i, i + 40))?.[0] ?? '\\';
      this.refuse(i, `holds the psql command ${cmd} outside COPY data`);
    }
    if (b === 0x27) return this.token(i, St.Quote);
    if (b === 0x22) return this.token(i, St.Ident);
    if (b === 0x3a) return this.colon(i);
    const prefixed = this.prefix(i, b);
    if (prefixed !== undefined) return prefixed;
    if (b === 0x24) return this.dollar(i);
    if (isIdentStart(b)) {
      const j = runEnd(buf, i + 1, isIdentCont);
      if (j < 0) return WAIT;
      this.stmt.word(buf.toString('latin1', i, j).toLowerCase(), (why) => this.refuse(i, why));
      return j;
    }
    if (b === 0x3b) {
      this.stmt.semicolon();
      return i + 1;
    }
    if (b === 0x28) this.stmt.paren++;
    else if (b === 0x29 && this.stmt.paren > 0) this.stmt.paren--;
    return this.token(i);
  }

  /** `::` (a cast), or a psql variable reference: refused, except a lower-case `:name` psql echoes as is. */
  private colon(i: number): number {
    const buf = this.buf;
    const c = buf[i + 1] ?? 0;
    if (c === 0x3a) return this.token(i + 1);
    if (c === 0x27 || c === 0x22 || c === 0x7b) this.refuse(i, 'holds a psql variable reference outside quotes');
    // psql lexes `:name` (name = [A-Za-z0-9_\x80-\xff]+) as one token, never as an identifier:
    // an undefined variable is echoed as is, so `name` must not count as a word here either.
    const j = runEnd(buf, i + 1, isVarChar);
    if (j < 0) return WAIT;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(buf.toString('latin1', i + 1, j))?.[0];
    // psql's own variables are upper case (DBNAME, VERSION, LAST_ERROR_MESSAGE, …); pg_dump never writes one.
    if (name && !/[a-z]/.test(name)) this.refuse(i, `holds the psql variable reference :${name}`);
    // mcpctl's own variables (restore-check.ts) are defined: psql would substitute them.
    if (name && /^mcpctl/i.test(name)) this.refuse(i, `holds a reference to mcpctl's psql variable :${name}`);
    return this.token(j - 1);
  }

  /**
   * psqlscan.l's string and identifier prefixes: E'…' B'…' X'…' (xestart/xbstart/xhstart),
   * N'…' (the n is eaten, then a plain string), U&'…' and U&"…" (xusstart/xuistart), and a
   * bare U& (xufailed: the u is echoed alone). None of these letters is an identifier to psql,
   * so none may count toward the CREATE … FUNCTION … BEGIN heuristic (review A1).
   */
  private prefix(i: number, b: number): number | undefined {
    const buf = this.buf;
    const c1 = buf[i + 1] ?? 0;
    const low = b | 0x20;
    if (c1 === 0x27 && (low === 0x65 || low === 0x62 || low === 0x78)) return this.token(i + 1, St.Quote);
    if (c1 === 0x27 && low === 0x6e) return this.token(i);
    if (low === 0x75 && c1 === 0x26) {
      const c2 = buf[i + 2] ?? 0;
      if (c2 === 0x27) return this.token(i + 2, St.Quote);
      if (c2 === 0x22) return this.token(i + 2, St.Ident);
      return this.token(i);
    }
    return undefined;
  }

  /** `$tag$` opens a dollar quote; `$1` is a parameter; a lone `$` an operator character. */
  private dollar(i: number): number {
    const buf = this.buf;
    // $tag$: tag = [A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*, or empty.
    const t = isIdentStart(buf[i + 1] ?? 0) ? runEnd(buf, i + 2, isVarChar) : i + 1;
    if (t < 0) return WAIT;
    if (buf[t] === 0x24) {
      this.tag = buf.toString('latin1', i, t + 1);
      this.st = St.Dollar;
      return this.token(t);
    }
    if (isDigit(buf[i + 1] ?? 0)) {
      const p = runEnd(buf, i + 1, isDigit);
      return p < 0 ? WAIT : this.afterNumber(p);
    }
    return this.token(i);
  }

  /** psql versions split `1abc`, `$1abc`, `1$a$` differently: refused rather than guessed. */
  private afterNumber(j: number): number {
    const c = this.buf[j] ?? 0;
    if (isIdentStart(c) || c === 0x24) this.refuse(j, 'has a number run into a name or $, which psql versions split differently');
    return this.token(j - 1);
  }

  /** The token ending at `i` opened the statement (and maybe a quoted state); returns the next position. */
  private token(i: number, st?: St): number {
    this.stmt.token();
    if (st !== undefined) {
      this.st = st;
      this.bsRun = 0;
    }
    return i + 1;
  }
}
