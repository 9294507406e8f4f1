// serve's fast path reads its command line without commander (src/commands/serve/fast-argv.ts).
// Whatever it accepts must be what commander, parsing the real program (buildProgram, as main()
// does), hands serve's action: the same global options, the same serve options, the same command.
// It may decline more (then the full CLI parses it), but not the forms users and clients type.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { Prng } from '../../src/commands/baseline/prng.js';
import { rewriteHelpRequest } from '../../src/commands/help.js';
import { parseServeArgv, type FastServe } from '../../src/commands/serve/fast-argv.js';
import { buildProgram } from '../../src/main.js';

/** What commander gave serve's action, or that it never got there. */
type Outcome = { reached: false; why: string } | { reached: true; parsed: Normalized };

interface Normalized {
  globals: { cwd: string | undefined; json: boolean; color: boolean; yes: boolean; debug: boolean };
  opts: Record<string, unknown>;
  args: string[];
  healthHostGiven: boolean;
}

const sink = { write: () => true, isTTY: false };
class Reached extends Error {}

/** The values makeCommandEnv and serveAction read, from either parser. */
function normalize(g: FastServe['globals'] | Record<string, unknown>, opts: object, args: string[], healthHostGiven: boolean): Normalized {
  const o = g as Record<string, unknown>;
  return {
    globals: { cwd: o.cwd as string | undefined, json: o.json === true, color: o.color !== false, yes: o.yes === true, debug: o.debug === true },
    // Only the options themselves: an option commander leaves undefined is the same as absent.
    opts: Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    args,
    healthHostGiven,
  };
}

async function viaCommander(argv: string[]): Promise<Outcome> {
  let parsed: Normalized | undefined;
  const makeEnv = async (cmd: Command) => {
    const all = cmd.optsWithGlobals();
    const globals = { cwd: all.cwd, json: all.json, color: all.color, yes: all.yes, debug: all.debug };
    const args = (cmd.processedArgs[0] as string[] | undefined) ?? [];
    parsed = normalize(globals, cmd.opts(), args, cmd.getOptionValueSource('healthHost') === 'cli');
    if (cmd.name() !== 'serve') throw new Error(`reached ${cmd.name()}, not serve`);
    throw new Reached();
  };
  const program = await buildProgram({ stdout: sink, stderr: sink }, makeEnv, argv);
  try {
    await program.parseAsync(rewriteHelpRequest(argv, program), { from: 'user' });
    return { reached: false, why: 'no action ran' };
  } catch (e) {
    if (e instanceof Reached) return { reached: true, parsed: parsed! };
    return { reached: false, why: (e as Error).message };
  }
}

function viaFast(argv: string[]): Normalized | undefined {
  const f = parseServeArgv(argv);
  return f && normalize(f.globals, f.opts, f.args, f.healthHostGiven);
}

const FLAGS = ['--json', '--no-color', '-y', '--yes', '--debug', '-C', '--cwd', '--wait', '--grace', '--restart', '--health-port', '--health-host', '--restart-delay'];
const ODD = ['--color', '-h', '--help', '-V', '--version', 'help', '-yC', '-Cdir', '--cwd=', '--wait=', '--json=1', '--no-json', '-', '--=x', '--wai', '-w', 'serve'];
const VALUES = ['0', '5', '30', '007', '86400', '86401', '3600', '3601', '65535', '65536', '60000', '60001', '1', '-1', '+5', '1.5', '1e3', ' 5', '', 'x', 'on-failure', 'no', 'always', 'On-Failure', '0.0.0.0', '::1', 'dir', 'serve', '--', '-C', '--json', 'a=b'];

/** One command line: mostly plausible (globals, serve, its options, `--`, a command), with noise. */
function generate(r: Prng): string[] {
  const pick = <T>(xs: readonly T[]) => xs[r.int(xs.length)]!;
  const argv: string[] = [];
  const flagWithValue = () => {
    const flag = pick(FLAGS);
    const takes = !['--json', '--no-color', '-y', '--yes', '--debug'].includes(flag);
    if (!takes) return [flag];
    const value = pick(VALUES);
    if (r.chance(20)) return [flag.startsWith('--') ? `${flag}=${value}` : `${flag}${value}`];
    return r.chance(5) ? [flag] : [flag, value];
  };
  for (let i = r.int(3); i > 0; i--) argv.push(...(r.chance(85) ? flagWithValue() : [pick(ODD)]));
  if (r.chance(92)) argv.push('serve');
  for (let i = r.int(5); i > 0; i--) argv.push(...(r.chance(85) ? flagWithValue() : [pick(ODD)]));
  if (r.chance(60)) {
    argv.push('--');
    for (let i = r.int(4); i > 0; i--) argv.push(pick([...VALUES, ...ODD, ...FLAGS, 'node', '-e', 'python', '-m']));
  }
  return argv;
}

describe('serve fast-path argv against commander', () => {
  it('accepts the documented forms and those MCP client entries use, with commander’s values', async () => {
    const forms = [
      ['serve'],
      ['serve', '-C', '/srv/project'],
      ['-C', '/srv/project', 'serve'],
      ['--cwd=/srv/project', 'serve', '--debug'],
      ['serve', '--health-port', '8080', '--restart', 'on-failure'],
      ['serve', '--health-port', '8080', '--health-host', '0.0.0.0', '--restart', 'on-failure', '--wait', '120'],
      ['serve', '--wait', '60', '--', 'python', '-m', 'workflow_mcp.server', '--transport', 'stdio'],
      ['serve', '--restart=on-failure', '--restart-delay', '50', '--grace', '0', '--', 'node', '-e', '1'],
      ['--json', 'serve', '--wait', '0'],
      ['serve', '--', '--help'],
    ];
    for (const argv of forms) {
      const fast = viaFast(argv);
      expect(fast, argv.join(' ')).toBeDefined();
      expect(await viaCommander(argv), argv.join(' ')).toEqual({ reached: true, parsed: fast });
    }
  });

  it('declines what commander answers with help, a version or an error', async () => {
    for (const argv of [['serve', '--help'], ['serve', '-h'], ['help', 'serve'], ['serve', '--wait', 'x'], ['serve', '--restart', 'always'], ['serve', '--bogus'], ['--wait', '5', 'serve'], ['-V', 'serve'], ['serv']]) {
      expect(viaFast(argv), argv.join(' ')).toBeUndefined();
      expect((await viaCommander(argv)).reached, argv.join(' ')).toBe(false);
    }
  });

  it('leaves words before `--` to commander (it takes them as the command; the fast path only after `--`)', async () => {
    expect(viaFast(['serve', 'python', 'app.py'])).toBeUndefined();
    expect(await viaCommander(['serve', 'python', 'app.py'])).toMatchObject({ reached: true, parsed: { args: ['python', 'app.py'] } });
  });

  it('on 3000 generated command lines, whatever the fast path accepts commander parses to the same values', async () => {
    const r = new Prng('serve-fast-argv');
    let accepted = 0;
    let commanderReached = 0;
    for (let n = 0; n < 3000; n++) {
      const argv = generate(r);
      const fast = viaFast(argv);
      const slow = await viaCommander(argv);
      if (slow.reached) commanderReached++;
      if (!fast) continue;
      accepted++;
      expect(slow, JSON.stringify(argv)).toEqual({ reached: true, parsed: fast });
    }
    // The generator must exercise both paths: enough accepted lines, and declined ones commander took.
    console.log(`serve fast-path argv: ${accepted} of 3000 accepted, commander reached serve on ${commanderReached}`);
    expect(accepted).toBeGreaterThan(300);
    expect(commanderReached).toBeGreaterThan(accepted);
  });
});
