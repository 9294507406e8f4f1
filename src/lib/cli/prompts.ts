import { RefusedError } from './errors.js';
import { isInteractive, type Context } from './context.js';
import type { Stream } from './output.js';

/** What the prompt wrapper needs from the world. */
export interface PromptDeps {
  ctx: Pick<Context, 'stdinIsTTY' | 'ci'>;
  /** `-y/--yes` given: answers yes/no questions, never typed confirmations. */
  yes: boolean;
  /** Where questions are drawn (the run's stderr); without one, nobody can be asked. */
  stream?: Stream;
  /** The run's colour decision (--no-color, NO_COLOR, …); false: the questions are drawn without colour too. */
  color?: boolean;
}

/**
 * The questions a core may ask, injected as `prompter` so no core touches a terminal.
 * Built by the CLI layer (`createPrompter`); tests pass one that answers or refuses.
 */
export interface Prompter {
  /** A yes/no question (`--yes` answers it). False when the person says no. */
  yesNo(message: string, opts?: { flag?: string }): Promise<boolean>;
  /** The person must type `expected` (or pass it with `opts.flag`); refusal throws RefusedError. */
  typed(message: string, expected: string, opts: { flag: string; given?: string }): Promise<void>;
  /** A hidden input (password); undefined when not interactive or cancelled. */
  secret(message: string): Promise<string | undefined>;
}

export function createPrompter(deps: PromptDeps): Prompter {
  return {
    yesNo: (message, opts) => confirmYesNo(deps, message, opts),
    typed: (message, expected, opts) => confirmTyped(deps, message, expected, opts),
    secret: (message) => promptSecret(deps, message),
  };
}

/** A person can answer: an interactive run with a terminal to draw the question on. */
const canAsk = (deps: PromptDeps): deps is PromptDeps & { stream: Stream } => isInteractive(deps.ctx) && deps.stream !== undefined;

async function ask<T>(deps: PromptDeps & { stream: Stream }, question: Record<string, unknown>): Promise<T | undefined> {
  const { default: prompts } = await import('prompts');
  let cancelled = false;
  const stdout = deps.color === false ? withoutColor(deps.stream) : deps.stream;
  const answer = await prompts({ name: 'value', stdout, ...question } as never, {
    onCancel: () => {
      cancelled = true;
      return false;
    },
  });
  return cancelled ? undefined : (answer.value as T | undefined);
}

/**
 * The prompts package colours its questions by its own rules (it ignores NO_COLOR and our
 * --no-color): its output goes through a stream that drops SGR sequences (`ESC [ … m`) and
 * keeps the cursor movements it draws with.
 */
function withoutColor(stream: Stream): Stream {
  const target = stream as Stream & { columns?: number; rows?: number };
  return {
    write: (chunk: string) => target.write(String(chunk).replace(/\x1b\[[0-9;]*m/g, '')),
    isTTY: target.isTTY,
    get columns() {
      return target.columns;
    },
    get rows() {
      return target.rows;
    },
  } as Stream;
}

/**
 * A yes/no question. `--yes` answers it; non-interactive without `--yes` → exit 3 naming the flag.
 * Returns false when the person says no.
 */
export async function confirmYesNo(deps: PromptDeps, message: string, opts: { flag?: string } = {}): Promise<boolean> {
  if (deps.yes) return true;
  if (!canAsk(deps)) {
    throw new RefusedError(`${message} — no answer: not interactive`, { hint: `pass ${opts.flag ?? '--yes'} to answer yes` });
  }
  return (await ask<boolean>(deps, { type: 'confirm', message, initial: false })) === true;
}

/**
 * A typed confirmation: the person must type `expected` exactly. `--yes` never answers it.
 * `given` is the value of the flag that answers it non-interactively (for example `--confirm`).
 * Anything else → exit 3 with nothing changed.
 */
export async function confirmTyped(
  deps: PromptDeps,
  message: string,
  expected: string,
  opts: { flag: string; given?: string },
): Promise<void> {
  if (opts.given !== undefined) {
    if (opts.given === expected) return;
    throw new RefusedError(`${opts.flag} ${JSON.stringify(opts.given)} does not match; type ${JSON.stringify(expected)} exactly`, {
      hint: `pass ${opts.flag} ${expected}`,
    });
  }
  if (!canAsk(deps)) {
    throw new RefusedError(`confirmation needed: ${message}`, { hint: `not interactive; pass ${opts.flag} ${expected} to confirm` });
  }
  const typed = await ask<string>(deps, { type: 'text', message: `${message} Type ${expected} to continue:` });
  if (typed !== expected) {
    throw new RefusedError(typed === undefined ? 'cancelled; nothing changed' : `you typed ${JSON.stringify(typed)}, not ${expected}; nothing changed`);
  }
}

/** A hidden input (password). Returns undefined when not interactive or cancelled. */
export async function promptSecret(deps: PromptDeps, message: string): Promise<string | undefined> {
  if (!canAsk(deps)) return undefined;
  return ask<string>(deps, { type: 'password', message });
}
