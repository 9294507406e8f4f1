/**
 * verify-env's Python checks. They ask the resolver `serve` uses (lib/python.ts) which interpreter
 * the server runs with, and check that one: its version, the packages, and that the configured
 * MCP_SERVER_COMMAND can start (`python -m <module>`: the module is importable by it).
 */
import path from 'node:path';
import type { ExecResult } from '../../lib/process/exec.js';
import { findVenv, pythonModule, resolveCommandInterpreter, type ResolvedCommand, type Venv } from '../../lib/process/python.js';
import { fail, pass, skip, warn, type CheckOutcome } from '../../lib/cli/report.js';
import { splitCommand } from '../../lib/process/shell-words.js';
import { pathExists } from '../../lib/files/fs-exists.js';

type Env = Readonly<Record<string, string | undefined>>;
type Tool = (file: string, args: string[]) => Promise<ExecResult>;

/** What the Python checks share: the venv, the server command as serve would run it, and the interpreter to check. */
export interface PythonFacts {
  venv: Venv | undefined;
  /** The server command resolved as serve resolves it; undefined when MCP_SERVER_COMMAND cannot be split. */
  server: ResolvedCommand | undefined;
  /** The interpreter serve would use for a Python server (else the venv's, else python3 on PATH). */
  python: string | undefined;
  /** How to name that interpreter in messages. */
  pythonLabel: string;
}

export async function pythonFacts(cwd: string, env: Env, serverCommand: string): Promise<PythonFacts> {
  let argv: string[] | undefined;
  try {
    argv = splitCommand(serverCommand);
  } catch {
    argv = undefined;
  }
  const [venv, server] = await Promise.all([findVenv(cwd, env), argv?.length ? resolveCommandInterpreter(argv, cwd, env) : undefined]);
  let python: string | undefined;
  if (server?.isPython) python = server.program;
  else python = venv?.python ?? (await resolveCommandInterpreter(['python3'], cwd, env)).program;
  const rel = python && path.relative(cwd, python);
  const pythonLabel = python ? (rel && !rel.startsWith('..') ? rel : python) : 'python3';
  return { venv, server, python, pythonLabel };
}

export function venvOutcome(f: PythonFacts): CheckOutcome {
  const v = f.venv;
  if (v && !v.python) return warn(`virtual environment ${v.label} has no bin/python`, `recreate it: python3 -m venv --clear ${v.label.startsWith('VIRTUAL_ENV=') ? v.dir : v.label}`);
  if (v) return pass(`virtual environment ${v.label}`);
  return warn('no Python virtual environment (.venv, venv, or VIRTUAL_ENV)', 'create one: python3 -m venv .venv && . .venv/bin/activate');
}

const FIND_SPEC = [
  'import importlib.util, json, sys',
  'out = {}',
  'for m in sys.argv[1:]:',
  '    try:',
  '        out[m] = "ok" if importlib.util.find_spec(m) is not None else "missing"',
  // A missing parent package (find_spec("a.b") without "a") is "missing", not "broken".
  '    except ModuleNotFoundError as e:',
  '        out[m] = "missing" if e.name and (m == e.name or m.startswith(e.name + ".")) else "%s: %s" % (type(e).__name__, e)',
  '    except Exception as e:',
  '        out[m] = "%s: %s" % (type(e).__name__, e)',
  'print(json.dumps(out))',
].join('\n');

/** Asks `python` which of `modules` it can import (run in the project folder, as `python -m` would). */
export async function importable(tool: Tool, python: string, modules: string[]): Promise<{ ok: true; missing: string[]; broken: string[] } | { ok: false; why: string }> {
  const r = await tool(python, ['-c', FIND_SPEC, ...modules]);
  if (r.notFound) return { ok: false, why: `${python} not found` };
  if (r.exitCode !== 0) return { ok: false, why: `${python} failed: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  let doc: Record<string, string>;
  try {
    doc = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
  } catch {
    return { ok: false, why: `${python} answered unexpectedly` };
  }
  const missing = modules.filter((m) => doc[m] === 'missing');
  const broken = modules.filter((m) => doc[m] !== 'missing' && doc[m] !== 'ok').map((m) => `${m} (${doc[m]})`);
  return { ok: true, missing, broken };
}

/** The packages the server needs, importable by the interpreter serve uses: a failure when not (as the old script). */
export async function packagesOutcome(f: PythonFacts, tool: Tool, pkgs: string[]): Promise<CheckOutcome> {
  if (!f.python) return fail('no Python interpreter found (python3 not on PATH)', 'install Python 3, or create the virtual environment: python3 -m venv .venv');
  const r = await importable(tool, f.python, pkgs);
  if (!r.ok) return fail(`could not check packages: ${r.why}`);
  const bad = [...r.missing, ...r.broken];
  const pip = `${f.pythonLabel} -m pip install`;
  if (bad.length) return fail(`not importable with ${f.pythonLabel}: ${bad.join(', ')}`, `install them: ${pip} ${[...r.missing, ...r.broken.map((b) => b.split(' ')[0])].join(' ')} (or the project: ${pip} -e .)`);
  return pass(`importable with ${f.pythonLabel}: ${pkgs.join(', ')}`);
}

/** MCP_SERVER_COMMAND can start: its program exists, and `python -m <module>` finds the module. */
export async function serverCommandOutcome(f: PythonFacts, tool: Tool, cwd: string, configured: boolean): Promise<CheckOutcome> {
  const s = f.server;
  if (!s) return skip('MCP_SERVER_COMMAND is invalid (see the config check)');
  const shown = s.argv.join(' ');
  if (!s.program) {
    return fail(
      `${s.argv[0]} not found${s.isPython ? ' (no virtual environment interpreter, no python or python3 on PATH)' : ' on PATH'}`,
      s.isPython ? 'install Python 3, or create the virtual environment: python3 -m venv .venv' : 'install it, or set MCP_SERVER_COMMAND to a command that exists',
    );
  }
  const note = s.note ? ` (${s.note})` : '';
  if (!s.isPython) return pass(`${shown} (${s.program})`);
  const mod = pythonModule(s.argv);
  if (mod) {
    const r = await importable(tool, s.program, [mod]);
    if (!r.ok) return fail(`could not check ${mod}: ${r.why}`);
    if (r.missing.length || r.broken.length) {
      const why = r.broken.length ? `importing it fails: ${r.broken[0]}` : 'not importable';
      return fail(`${mod} ${why} with ${f.pythonLabel}${configured ? '' : ' (MCP_SERVER_COMMAND is the default; set it for your server)'}`, `install the server into that interpreter (${f.pythonLabel} -m pip install -e .), or set MCP_SERVER_COMMAND`);
    }
    return pass(`${shown}: ${mod} importable${note}`);
  }
  const script = s.argv.slice(1).find((a) => !a.startsWith('-'));
  if (script && !(await pathExists(path.resolve(cwd, script)))) return fail(`${script} not found in ${cwd}`, 'fix MCP_SERVER_COMMAND');
  return pass(`${shown}${note}`);
}
