/**
 * Seeded generator of adversarial and random `.env` files (and values to write), for the
 * differential tests against python-dotenv and node. The same seed gives the same cases.
 */
import { Prng } from '../../src/lib/prng.js';

export interface EnvCase {
  id: number;
  /** The file's bytes (usually UTF-8 text). */
  bytes: Buffer;
  /** The environment python-dotenv expands against. */
  env: Record<string, string>;
}

const KEYS = ['A', 'B', 'POSTGRES_PASSWORD', 'POSTGRES_HOST', 'DATABASE_URL', 'x.y-z', 'EMPTY', 'MISSING', 'lower_key'];
const ODD_KEYS = ["'quoted key'", "'Q'", '1BAD', 'export', 'A B', '', "'unterminated", 'K#', '\u00e9t\u00e9'];
const CHUNKS = [
  'plain', 'sp ace', ' ', '\t', '#', ' #', ' # c', '$', '${A}', '${MISSING}', '${MISSING:-dflt}', '${EMPTY:-dflt}', '${A:-x}', '${}', '${A:x}', '$A',
  '${B', '\\', '\\\\', '\\n', '\\t', '\\"', "\\'", '\\$', '\\x41', '"', "'", '`', '=', ':', '@', '%2F', 'é', '😀', '\u00a0', '\u2028', '\x85', '\x1c', '\u3000', '\x00',
  '\ufeff', '"quoted"', "'single'",
];
const NEWLINES = ['\n', '\n', '\n', '\r\n', '\r'];

function chunkString(r: Prng, max: number): string {
  let s = '';
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) s += r.chance(40) ? r.pick(CHUNKS) : String.fromCharCode(r.range(0x21, 0x7e));
  return s;
}

/** A value as written after `=`: unquoted, quoted (maybe broken), or multi-line. */
function writtenValue(r: Prng): string {
  const body = chunkString(r, 6);
  switch (r.int(9)) {
    case 0:
    case 1:
      return body;
    case 2:
      return `'${body}'`;
    case 3:
      return `"${body}"`;
    case 4:
      return `"${body}${r.pick(NEWLINES)}${chunkString(r, 3)}"`;
    case 5:
      return `'${body}` + (r.chance(50) ? '' : `${r.pick(NEWLINES)}x'`);
    case 6:
      return `"${body}\\"` + (r.chance(50) ? ` trailing"` : '');
    case 7:
      return `${r.pick(['"a"', "'a'", '"a\\"b"'])}${r.pick(['', ' ', ' # c', '#c', ' junk', '  '])}`;
    default:
      return '';
  }
}

function statement(r: Prng): string {
  const pad = r.chance(15) ? r.pick([' ', '\t', '  ']) : '';
  switch (r.int(12)) {
    case 0:
      return `${pad}# ${chunkString(r, 4)}`;
    case 1:
      return '';
    case 2:
      return `${pad}${r.pick(ODD_KEYS)}${r.pick(['=', ' = ', '', '='])}${writtenValue(r)}`;
    case 3:
      return `${pad}${r.pick(KEYS)}`;
    default: {
      const exp = r.chance(15) ? r.pick(['export ', 'export\t', 'export  ']) : '';
      const eq = r.pick(['=', '=', '=', ' =', '= ', ' = ', '=\t']);
      return `${pad}${exp}${r.pick(KEYS)}${eq}${writtenValue(r)}`;
    }
  }
}

const ADVERSARIAL: string[] = [
  'POSTGRES_PASSWORD=ab$cd${ef}gh\n',
  'A="a\\$b"\n',
  "A='a\\\\b\\'c'\n",
  'A="x\\\\"\nB=2\nC="y"\n',
  '\ufeffPOSTGRES_HOST=db\n',
  'A=1\nA=2\n',
  'A=${MISSING:-d}\nB=${A}\nC=${EMPTY:-d}\n',
  'A=a #c\nB=a#c\nC= #c\n',
  'export A=1\nexport  B = 2 \n',
  'A="multi\nline"\nB=x\n',
  'A=1\r\nB="x\r\ny"\r\n',
  'A=1\rB=2\r',
  "'A B'=1\n",
  'A\nB=${A:-x}\n',
  'A=\\n\\t\n',
  'A="\\a\\b\\f\\v\\x"\n',
  'A="unterminated\nB=2\n',
  'A=é\u00a0\n',
  'A=x\u2028y\n',
  'A="a" junk\nB=1\n',
  '=x\nB=1\n',
  'A=`x`\n',
  'A=1 \\\n',
  '  \n\n  A=1\n',
  'A="${B}"\nB=2\nC=\'${B}\'\n',
];

/** `n` cases: the adversarial ones first, then random ones from `seed`. */
export function generateEnvFiles(seed: string, n: number): EnvCase[] {
  const r = new Prng(seed);
  const cases: EnvCase[] = [];
  const envFor = (): Record<string, string> => {
    const env: Record<string, string> = {};
    if (r.chance(60)) env.A = r.pick(['from-env', '', 'x y', '${B}']);
    if (r.chance(50)) env.EMPTY = '';
    if (r.chance(30)) env.B = 'envB';
    return env;
  };
  for (const text of ADVERSARIAL) cases.push({ id: cases.length, bytes: Buffer.from(text), env: envFor() });
  cases.push({ id: cases.length, bytes: Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x0a]), env: {} });
  while (cases.length < n) {
    const count = r.range(1, 8);
    let text = r.chance(3) ? '\ufeff' : '';
    for (let i = 0; i < count; i++) text += statement(r) + (i < count - 1 || r.chance(80) ? r.pick(NEWLINES) : '');
    cases.push({ id: cases.length, bytes: Buffer.from(text), env: envFor() });
  }
  return cases;
}

/** Values a writer may be asked to store: adversarial, then random. */
export function generateValues(seed: string, n: number): string[] {
  const r = new Prng(seed);
  const values = [
    '', 'plain', 'with space', ' lead', 'trail ', 'a#b', 'a #b', '#x', "it's", 'say "hi"', `both ' and "`, 'back\\slash', 'ends\\', '\\\\',
    'x${A}y', 'x$y', '$', '${', 'multi\nline', 'cr\rlf', 'tab\there', '`tick`', 'é😀', '\u00a0nbsp', 'a\\nb', "'", '"', '\\"', "\\'", 'x\u2028y',
  ];
  while (values.length < n) values.push(chunkString(r, 8).replace(/\x00/g, ''));
  return values;
}
