/**
 * A pure `.env` parser and editor following the usual dotenv rules: `KEY=value`,
 * optional `export ` prefix, `#` comments (whole-line, or after whitespace in an unquoted
 * value), single quotes literal, double quotes with `\n \t \" \\` escapes and multi-line
 * values, empty values. Malformed lines are errors with their line number, never skipped.
 */

/** One assignment found in an env file. */
export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line where the assignment starts. */
  line: number;
  /** 1-based line where it ends (later than `line` for a multi-line quoted value). */
  endLine: number;
}

/** A problem with a line of an env file. */
export interface DotenvIssue {
  line: number;
  message: string;
}

export interface DotenvParse {
  entries: DotenvEntry[];
  errors: DotenvIssue[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseDotenv(text: string): DotenvParse {
  const lines = text.split(/\r?\n/);
  const entries: DotenvEntry[] = [];
  const errors: DotenvIssue[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i] ?? '';
    if (i === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let body = trimmed.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq === -1) {
      errors.push({ line: lineNo, message: `expected KEY=value, found no "=" (${preview(body)})` });
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      errors.push({ line: lineNo, message: `invalid key ${JSON.stringify(preview(key))}` });
      continue;
    }
    body = body.slice(eq + 1).replace(/^[ \t]+/, '');
    let value: string;
    const q = body[0];
    if (q === '"' || q === "'") {
      // Quoted: find the closing quote, possibly on a later line.
      let acc = body.slice(1);
      let close = findClose(acc, q);
      let j = i;
      while (close === -1 && j + 1 < lines.length) {
        j++;
        acc += '\n' + (lines[j] ?? '');
        close = findClose(acc, q);
      }
      if (close === -1) {
        errors.push({ line: lineNo, message: `unterminated ${q === '"' ? 'double' : 'single'} quote` });
        i = j;
        continue;
      }
      const rest = acc.slice(close + 1).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        errors.push({ line: lineNo, message: `unexpected text after the closing quote (${preview(rest)})` });
        i = j;
        continue;
      }
      const inner = acc.slice(0, close);
      value = q === '"' ? unescapeDouble(inner) : inner;
      i = j;
    } else {
      const hash = body.search(/\s#/);
      value = (hash === -1 ? body : body.slice(0, hash)).trim();
    }
    const prev = seen.get(key);
    if (prev !== undefined) {
      errors.push({ line: lineNo, message: `duplicate key ${key} (first set on line ${prev})` });
      continue;
    }
    seen.set(key, lineNo);
    entries.push({ key, value, line: lineNo, endLine: i + 1 });
  }
  return { entries, errors };
}

function findClose(s: string, q: string): number {
  for (let k = 0; k < s.length; k++) {
    if (q === '"' && s[k] === '\\') {
      k++;
      continue;
    }
    if (s[k] === q) return k;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/gs, (_m, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return c;
    }
  });
}

function preview(s: string): string {
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** Quotes a value for an env file only when it needs it. */
export function formatDotenvValue(value: string): string {
  if (/^[A-Za-z0-9_./:@%+,=-]*$/.test(value)) return value;
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

/**
 * Sets `key` in env-file text: replaces the line(s) of an existing assignment in place,
 * or appends one; every other line is kept byte for byte. Returns the new text.
 */
export function setDotenvKey(text: string, key: string, value: string): string {
  const assignment = `${key}=${formatDotenvValue(value)}`;
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const { entries } = parseDotenv(text);
  const hit = entries.find((e) => e.key === key);
  if (hit) {
    // A multi-line quoted value spans several lines: replace all of them.
    lines.splice(hit.line - 1, hit.endLine - hit.line + 1, assignment);
    return lines.join(nl);
  }
  const trailing = text === '' || text.endsWith('\n') ? '' : nl;
  return text + trailing + assignment + nl;
}
