// Names with control characters are escaped for the terminal, after redaction, and redaction
// still finds a secret that was escaped before it reached the output module.
import { describe, expect, it } from 'vitest';
import { createOutput } from '../../src/lib/cli/output.js';
import { jsonSafe, printable, terminalSafe } from '../../src/lib/cli/printable.js';
import { SecretRegistry } from '../../src/lib/cli/redact.js';

function sink(isTTY = false) {
  const chunks: string[] = [];
  return { stream: { write: (c: string) => chunks.push(c), isTTY }, text: () => chunks.join('') };
}

describe('printable', () => {
  it('escapes every C0 control, DEL and C1, the invisible format characters, and nothing else', () => {
    const invisible = (c: number) => (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x2028 || c === 0x2029 || c === 0xfeff;
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCharCode(c);
      const control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || invisible(c);
      expect(printable(s) !== s, c.toString(16)).toBe(control);
      expect(/[\x00-\x1f\x7f-\x9f]/.test(printable(s))).toBe(false);
    }
    expect(printable('a\x1b[2Jb\r\n\t\x07\x7f\u009b')).toBe('a\\x1b[2Jb\\r\\n\\t\\x07\\x7f\\u009b');
    expect(printable('naïve ü — ok')).toBe('naïve ü — ok');
    expect(printable('evil\u202etxt.sh\u200b\u2066\ufeff\u2028')).toBe('evil\\u202etxt.sh\\u200b\\u2066\\ufeff\\u2028');
    expect(terminalSafe('a\u202eb\n', false)).toBe('a\\u202eb\n');
  });

  it('terminalSafe keeps line ends and, with colour, only SGR colour codes', () => {
    expect(terminalSafe('a\nb\x1b[2Jc', false)).toBe('a\nb\\x1b[2Jc');
    expect(terminalSafe('\x1b[31mred\x1b[39m \x1b[2J \x1b[8m', true)).toBe('\x1b[31mred\x1b[39m \\x1b[2J \\x1b[8m');
    expect(terminalSafe('\x1b[31mred\x1b[39m', false)).toBe('\\x1b[31mred\\x1b[39m');
    expect(jsonSafe(JSON.stringify('a\u009bb\x7f'))).toBe('"a\\u009bb\\u007f"');
    expect(JSON.parse(jsonSafe(JSON.stringify('a\u009bb\x7f')))).toBe('a\u009bb\x7f');
  });

  it('a secret with a control character is redacted whether it arrives raw or escaped', () => {
    const secrets = new SecretRegistry();
    secrets.add('pw\twith\x1btab');
    const out = sink();
    const o = createOutput({ json: false, noColorFlag: true, debug: false, env: {}, stdout: out.stream, stderr: sink().stream, ci: true, secrets });
    o.info(`raw pw\twith\x1btab and shown ${printable('pw\twith\x1btab')}`);
    expect(out.text()).toBe('raw [redacted] and shown [redacted]\n');
  });
});
