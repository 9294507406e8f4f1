/**
 * The one answer to "which Python runs the server": `serve` starts it and `verify-env` checks it,
 * so both ask here and cannot disagree. The project's own virtual environment wins (`.venv`,
 * then `venv`, then an activated `VIRTUAL_ENV`); without one, `python` falls back to `python3`
 * when only that exists (stock Debian and Ubuntu have no `python`).
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { pathExists } from './fs-exists.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A Python virtual environment found for the project. */
export interface Venv {
  /** How to name it to the user: `.venv`, `venv` or `VIRTUAL_ENV=/path`. */
  label: string;
  dir: string;
  /** Its interpreter (`bin/python`, else `bin/python3`), or undefined when it has none that runs. */
  python: string | undefined;
}

/** A command after the interpreter was resolved. */
export interface ResolvedCommand {
  /** The argv to run: the same as given, or with its first word replaced. */
  argv: string[];
  /** True when the command is a Python interpreter (`python`, `python3`, `python3.12`). */
  isPython: boolean;
  /** The virtual environment whose interpreter is used, when one is. */
  venv?: Venv;
  /** Why the first word was changed, for stderr (never stdout: that is the MCP transport). */
  note?: string;
  /** The absolute path of the program that will run, when it can be found. */
  program: string | undefined;
}

/** `python`, `python3`, `python3.12`: words that name "a Python interpreter" rather than a file. */
export function isPythonWord(word: string | undefined): boolean {
  return word !== undefined && /^python(3(\.\d+)?)?$/.test(word);
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The file `name` resolves to on `PATH` (as execvp would), or undefined. Names with a slash resolve against `cwd`. */
export async function findOnPath(name: string, env: Env, cwd: string): Promise<string | undefined> {
  if (name.includes('/')) {
    const file = path.resolve(cwd, name);
    return (await isExecutableFile(file)) ? file : undefined;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(path.resolve(cwd, dir), name);
    if (await isExecutableFile(file)) return file;
  }
  return undefined;
}

/** The project's virtual environment: `.venv`, `venv`, then `VIRTUAL_ENV` (the first with a pyvenv.cfg). */
export async function findVenv(cwd: string, env: Env): Promise<Venv | undefined> {
  const candidates: [string, string][] = [
    [path.join(cwd, '.venv'), '.venv'],
    [path.join(cwd, 'venv'), 'venv'],
  ];
  if (env.VIRTUAL_ENV) candidates.push([path.resolve(cwd, env.VIRTUAL_ENV), `VIRTUAL_ENV=${env.VIRTUAL_ENV}`]);
  for (const [dir, label] of candidates) {
    if (!(await pathExists(path.join(dir, 'pyvenv.cfg')))) continue;
    let python: string | undefined;
    for (const name of ['python', 'python3']) {
      const file = path.join(dir, 'bin', name);
      if (await isExecutableFile(file)) {
        python = file;
        break;
      }
    }
    return { label, dir, python };
  }
  return undefined;
}

/**
 * Resolves the first word of `argv`: a Python word runs with the project's virtual environment's
 * interpreter when there is one; `python` missing but `python3` present runs `python3`.
 * Any other command is returned as given (with its location on PATH, when found).
 */
export async function resolveCommandInterpreter(argv: readonly string[], cwd: string, env: Env): Promise<ResolvedCommand> {
  const [first, ...rest] = argv;
  if (!isPythonWord(first)) return { argv: [...argv], isPython: false, program: first === undefined ? undefined : await findOnPath(first, env, cwd) };
  const venv = await findVenv(cwd, env);
  if (venv?.python) return { argv: [venv.python, ...rest], isPython: true, venv, program: venv.python };
  const broken = venv ? `the virtual environment ${venv.label} has no bin/python; ` : '';
  const onPath = await findOnPath(first!, env, cwd);
  if (onPath) return { argv: [...argv], isPython: true, venv, program: onPath, note: broken ? `${broken}using ${first} from PATH (${onPath})` : undefined };
  if (first === 'python') {
    const py3 = await findOnPath('python3', env, cwd);
    if (py3) return { argv: ['python3', ...rest], isPython: true, venv, program: py3, note: `${broken}no \`python\` on PATH: using python3 (${py3})` };
  }
  return { argv: [...argv], isPython: true, venv, program: undefined };
}

/** The module a `python -m <module>` command runs (also `-m<module>`), or undefined. */
export function pythonModule(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-m') return argv[i + 1];
    if (a.startsWith('-m') && a.length > 2) return a.slice(2);
    // Options before -m that take no value (-u, -O, -B, -X opt takes one).
    if (a === '-X' || a === '-W') {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return undefined;
  }
  return undefined;
}
