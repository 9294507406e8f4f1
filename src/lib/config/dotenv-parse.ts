/**
 * The `.env` grammar as python-dotenv reads it — the reader of the Python MCP servers, called
 * by pydantic-settings. The servers are the judges: mcpctl must see the values they see, so
 * this follows python-dotenv's statement grammar (its regular expressions, applied in order,
 * with the same backtracking) rather than any "usual dotenv rules". Differential tests compare
 * it with the real `dotenv_values()` on generated files (tests/integration/readers-dotenv.test.ts).
 *
 * Notable rules (each differs from some other dotenv reader):
 * - the text is read with universal newlines: `\r\n` and a lone `\r` end a line;
 * - a BOM is not skipped: it becomes part of the first key;
 * - unquoted: the rest of the line, a comment starts only at whitespace + `#`, then right-trimmed;
 * - single quotes: only `\\` and `\'` are escapes; double quotes: `\\ \' \" \a \b \f \n \r \t \v`;
 *   a quoted value may span lines; a `\"` inside double quotes never closes them;
 * - `KEY` alone (no `=`) declares the key with no value (python-dotenv's None);
 * - a statement that does not parse is skipped up to the end of the line it failed on.
 */

/** Python's `\s` for str patterns (str.isspace), which differs from JavaScript's `\s`. */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python's `[^\S\r\n]`: whitespace other than line ends. */
const PY_HWS = '\\t\\v\\f\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const sticky = (src: string) => new RegExp(src, 'yu');
const RE = {
  multilineWs: sticky(`[${PY_WS}]*`),
  export: sticky(`(?:export[${PY_HWS}]+)?`),
  singleQuotedKey: sticky(`'([^']+)'`),
  unquotedKey: sticky(`([^=#${PY_WS}]+)`),
  hws: sticky(`[${PY_HWS}]*`),
  equalSign: sticky(`=[${PY_HWS}]*`),
  singleQuotedValue: sticky(`'((?:\\\\'|[^'])*)'`),
  doubleQuotedValue: sticky(`"((?:\\\\"|[^"])*)"`),
  unquotedValue: sticky(`([^\\r\\n]*)`),
  comment: sticky(`(?:[${PY_HWS}]*#[^\\r\\n]*)?`),
  endOfLine: sticky(`[${PY_HWS}]*(?:\\r\\n|\\n|\\r|$)`),
  restOfLine: sticky(`[^\\r\\n]*(?:\\r|\\n|\\r\\n)?`),
};
// Python's `.` excludes only `\n` (JavaScript's also excludes `\r`, U+2028, U+2029).
const INLINE_COMMENT = new RegExp(`[${PY_WS}]+#[^\\n]*`, 'gu');
const TRAILING_WS = new RegExp(`[${PY_WS}]+$`, 'u');
const DOUBLE_ESCAPES = /\\[\\'"abfnrtv]/g;
const SINGLE_ESCAPES = /\\[\\']/g;
const DECODED: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One statement of an env file, as python-dotenv's parser yields it. */
export interface DotenvBinding {
  /** The key, or undefined for a comment, blank tail or a statement that did not parse. */
  key?: string;
  /** The decoded value before `${VAR}` expansion; undefined for `KEY` without `=`. */
  value?: string;
  /** How the value was written. */
  quote?: 'none' | 'single' | 'double';
  /** 1-based line (universal newlines) where the statement's text starts. */
  line: number;
  /** 1-based line where it ends (later than `line` for a multi-line quoted value). */
  endLine: number;
  /** Why it did not parse (python-dotenv skips it with a warning). */
  error?: string;
}

class Fail extends Error {}

/** Translates line ends the way Python's text mode does (`\r\n` and `\r` become `\n`). */
export function universalNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Parses env-file text into statements, exactly as python-dotenv's parse_stream does. */
export function parseBindings(input: string): DotenvBinding[] {
  const s = universalNewlines(input);
  let pos = 0;
  let line = 1;
  const advance = (to: number) => {
    for (let k = pos; k < to; k++) if (s.charCodeAt(k) === 10) line++;
    pos = to;
  };
  const read = (re: RegExp, why: string): RegExpExecArray => {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Fail(why);
    advance(re.lastIndex);
    return m;
  };
  const out: DotenvBinding[] = [];
  while (pos < s.length) {
    read(RE.multilineWs, '');
    if (pos >= s.length) break;
    const start = line;
    const b: DotenvBinding = { line: start, endLine: start };
    try {
      read(RE.export, '');
      const c = s[pos];
      let key: string | undefined;
      if (c === "'") key = read(RE.singleQuotedKey, 'unterminated or empty quoted key')[1];
      else if (c !== '#') key = read(RE.unquotedKey, c === '=' ? 'no key before "="' : 'no key')[1];
      read(RE.hws, '');
      if (s[pos] === '=') {
        read(RE.equalSign, '');
        const q = s[pos];
        if (q === "'") {
          b.value = read(RE.singleQuotedValue, 'unterminated single quote')[1]!.replace(SINGLE_ESCAPES, (m) => DECODED[m[1]!]!);
          b.quote = 'single';
        } else if (q === '"') {
          b.value = read(RE.doubleQuotedValue, 'unterminated double quote')[1]!.replace(DOUBLE_ESCAPES, (m) => DECODED[m[1]!]!);
          b.quote = 'double';
        } else if (q === undefined || q === '\n') {
          b.value = '';
          b.quote = 'none';
        } else {
          b.value = read(RE.unquotedValue, '')[1]!.replace(INLINE_COMMENT, '').replace(TRAILING_WS, '');
          b.quote = 'none';
        }
      }
      read(RE.comment, '');
      b.endLine = line;
      read(RE.endOfLine, b.quote === 'single' || b.quote === 'double' ? 'unexpected text after the closing quote' : 'unexpected text after the key (a space in the key, or no "=")');
      b.key = key;
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      b.endLine = line;
      read(RE.restOfLine, '');
      b.error = e.message;
      delete b.value;
      delete b.quote;
    }
    out.push(b);
  }
  return out;
}

/** python-dotenv's `${NAME}` / `${NAME:-default}` pattern (no `$NAME`, no nesting). */
export const VARIABLE = /\$\{([^}:]*)(?::-([^}]*))?\}/g;

/**
 * Expands variables as python-dotenv does with interpolation on (pydantic-settings' default):
 * a name is looked up in the values set earlier in the same file, then in the environment; the
 * default is used only when the name is set nowhere (an empty value is a value).
 */
export function expandVariables(value: string, lookup: (name: string) => string | null | undefined): string {
  return value.replace(VARIABLE, (_m, name: string, def: string | undefined) => {
    const v = lookup(name);
    return v === undefined ? (def ?? '') : (v ?? '');
  });
}
