import type { Context } from './context.js';
import type { Prompter } from './prompts.js';

/**
 * The one dependency shape of every command core (`runX(deps, options)`): the ambient world,
 * the configuration the adapter loaded, the command's typed events (one union per command,
 * rendered by its adapter), and the prompter. A core takes the parts it uses with `Pick`, and
 * never prints, prompts on its own, exits or reads `process`.
 */
export interface CoreDeps<Event = never, Config = unknown> {
  ctx: Context;
  config: Config;
  /** The command's typed events; the adapter renders them (status line, --debug, human text). */
  events: (e: Event) => void;
  prompter: Prompter;
}

/** A command's debug line: what was run or decided (shown with --debug, redacted). */
export type DebugEvent = { type: 'debug'; text: string };
