import { RefusedError } from './errors.js';
import { isInteractive, type Context } from './context.js';

/** What the prompt wrapper needs from the world. */
export interface PromptDeps {
  ctx: Pick<Context, 'stdinIsTTY' | 'ci'>;
  /** `-y/--yes` given: answers yes/no questions, never typed confirmations. */
  yes: boolean;
}

async function ask<T>(question: Record<string, unknown>): Promise<T | undefined> {
  const { default: prompts } = await import('prompts');
  let cancelled = false;
  const answer = await prompts({ name: 'value', stdout: process.stderr, ...question } as never, {
    onCancel: () => {
      cancelled = true;
      return false;
    },
  });
  return cancelled ? undefined : (answer.value as T | undefined);
}

/**
 * A yes/no question. `--yes` answers it; non-interactive without `--yes` → exit 3 naming the flag.
 * Returns false when the person says no.
 */
export async function confirmYesNo(deps: PromptDeps, message: string, opts: { flag?: string } = {}): Promise<boolean> {
  if (deps.yes) return true;
  if (!isInteractive(deps.ctx)) {
    throw new RefusedError(`${message} — no answer: not interactive`, { hint: `pass ${opts.flag ?? '--yes'} to answer yes` });
  }
  return (await ask<boolean>({ type: 'confirm', message, initial: false })) === true;
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
  if (!isInteractive(deps.ctx)) {
    throw new RefusedError(`confirmation needed: ${message}`, { hint: `not interactive; pass ${opts.flag} ${expected} to confirm` });
  }
  const typed = await ask<string>({ type: 'text', message: `${message} Type ${expected} to continue:` });
  if (typed !== expected) {
    throw new RefusedError(typed === undefined ? 'cancelled; nothing changed' : `you typed ${JSON.stringify(typed)}, not ${expected}; nothing changed`);
  }
}

/** A hidden input (password). Returns undefined when not interactive or cancelled. */
export async function promptSecret(deps: PromptDeps, message: string): Promise<string | undefined> {
  if (!isInteractive(deps.ctx)) return undefined;
  return ask<string>({ type: 'password', message });
}
