import type { Command } from 'commander';
import { ExitCode, ExitError } from '../lib/errors.js';
import { action, collect, intOption, type EnvFactory, summarizeReport } from './shared.js';
import { COMMAND_DESCRIPTIONS } from './catalog.js';

interface Opts {
  strict?: boolean;
  explain?: boolean;
  pythonPackage?: string[];
  timeout?: number;
}

export function registerVerifyEnv(program: Command, makeEnv: EnvFactory): void {
  program
    .command('verify-env')
    .description(COMMAND_DESCRIPTIONS['verify-env'])
    .option('--strict', 'warnings fail too')
    .option('--explain', 'list every configuration key with its masked value, the source that won and those it overrode')
    .option('--python-package <name>', 'a Python package that must be importable (repeatable; default fastmcp)', collect)
    .option('--timeout <ms>', 'time allowed for each tool and the server probe', intOption('--timeout'), 10000)
    .addHelpText('after', '\nExamples:\n  $ mcpctl verify-env\n  $ mcpctl verify-env --explain\n  $ mcpctl verify-env --strict --json')
    .action(
      action<Opts>(makeEnv, async (env, opts) => {
        const { ctx, out } = env;
        const { runVerifyEnv } = await import('../core/verify-env.js');
        const { renderReport } = await import('../lib/output.js');
        const result = await runVerifyEnv(
          { ctx, log: out.debug },
          { strict: opts.strict, explain: opts.explain, pythonPackages: opts.pythonPackage, timeoutMs: opts.timeout },
        );
        // --explain names the project folder and why it was chosen (found upwards, -C, or none).
        const { describeProjectRoot } = await import('../lib/project-root.js');
        const project = ctx.projectRoot ? describeProjectRoot(ctx.projectRoot) : ctx.cwd;
        if (out.json) out.result(result.explain ? { ...result, project: { dir: ctx.cwd, chosen: project } } : result);
        else {
          renderReport(out, result, 'mcpctl verify-env');
          if (result.explain) {
            out.info('');
            out.info(`${out.paint('strong', 'project folder:')} ${project}`);
            out.info(out.paint('strong', 'Configuration (highest source first: flags, environment, .env.local, .env, defaults)'));
            const w = Math.max(...result.explain.map((r) => r.key.length));
            for (const r of result.explain) {
              out.info(`  ${r.key.padEnd(w)}  ${r.value}  ${out.paint('muted', `← ${r.source}`)}`);
              for (const o of r.overridden) out.info(`  ${''.padEnd(w)}  ${out.paint('muted', o.same ? `same as ${o.source}` : `overrides ${o.source}: ${o.value}`)}`);
            }
          }
        }
        await summarizeReport(env, 'mcpctl verify-env', result);
        if (result.configInvalid) throw new ExitError(ExitCode.usage);
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );
}
