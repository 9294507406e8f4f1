import type { Command } from 'commander';
import { COMMAND_DESCRIPTIONS, requestedCommand, type CommandName } from './catalog.js';
import type { EnvFactory } from './shared.js';

type Register = (program: Command, makeEnv: EnvFactory) => void;

const ADAPTERS: Record<CommandName, () => Promise<Register>> = {
  'setup-db': async () => (await import('./setup-db/command.js')).registerSetupDb,
  'verify-db': async () => (await import('./verify-db.js')).registerVerifyDb,
  'verify-env': async () => (await import('./verify-env.js')).registerVerifyEnv,
  backup: async () => (await import('./backup.js')).registerBackup,
  rollback: async () => (await import('./rollback.js')).registerRollback,
  baseline: async () => (await import('./baseline.js')).registerBaseline,
  serve: async () => (await import('./serve.js')).registerServe,
  db: async () => (await import('./db/command.js')).registerDb,
  client: async () => (await import('./client/command.js')).registerClient,
  init: async () => (await import('./init/command.js')).registerInit,
  doctor: async () => (await import('./doctor/command.js')).registerDoctor,
};

/**
 * Registers every command, in the contract's order. Only the command that `argv` asks for is
 * loaded and defined in full; the others are listed by name and description, which is all
 * `mcpctl --help` shows — so start-up loads one adapter at most.
 */
export async function registerCommands(program: Command, makeEnv: EnvFactory, argv: readonly string[]): Promise<void> {
  const wanted = requestedCommand(argv);
  for (const name of Object.keys(ADAPTERS) as CommandName[]) {
    if (name === wanted) {
      (await ADAPTERS[name]())(program, makeEnv);
      // `mcpctl backup help` works like `mcpctl baseline help`, and each lists its help command.
      const cmd = program.commands.at(-1)!;
      if (cmd.commands.length > 0) cmd.helpCommand(true);
    } else program.command(name).description(COMMAND_DESCRIPTIONS[name]);
  }
}
