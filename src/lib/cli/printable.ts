/**
 * Names that come from outside (database names from the server, file names from a folder,
 * paths from git) may hold control characters: `\x1b[2J` clears the screen, `\r` or a newline
 * fakes a line, C1 bytes (U+0080–U+009F) are escape sequences to some terminals. Human output
 * shows them as escapes instead; `--json` keeps every value exact.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\x1b' };

/** `\n`, `\r`, `\t`, `\x1b`, `\x07`, `\x7f`, `\u009b`: short, and what a person would type. */
function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

// C0 controls, DEL and C1 controls; and the invisible format characters that reorder or hide
// text (zero-width, bidirectional marks, embeddings, overrides and isolates, line and paragraph
// separators, BOM): `evil\u202etxt.sh` would show as another name.
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/g;

/** A name for a human line: every control character (newline and tab included) escaped. */
export function printable(name: string): string {
  return name.replace(CONTROLS, escapeOne);
}

/**
 * A line of human output made safe for the terminal: control characters escaped, except the
 * line breaks and tabs of mcpctl's own text and, when `keepSgr`, the colour codes its output
 * module paints with (bold, dim, red, green, yellow, cyan and their resets: no code that hides
 * text, and a colour can change no other text).
 */
export function terminalSafe(text: string, keepSgr: boolean): string {
  return text.replace(/\x1b\[(?:1|2|22|31|32|33|36|39)m|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/g, (m) => (m.length > 1 ? (keepSgr ? m : printable(m)) : escapeOne(m)));
}

/** JSON text with DEL and C1 as `\u` escapes (JSON.stringify leaves them raw): the same values, nothing a terminal acts on. */
export function jsonSafe(json: string): string {
  return json.replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
