import type { Runtime } from './lib/cli/context.js';
import type { Output, Stream } from './lib/cli/output.js';
import type { SecretRegistry } from './lib/cli/redact.js';
import type { SignalRouter } from './lib/process/signal-forwarding.js';

/** Everything the CLI takes from the outside world; `cli.ts` fills it from `process`. */
export interface CliIO {
  argv: string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  stdout: Stream;
  stderr: Stream;
  stdinIsTTY: boolean;
  signal: AbortSignal;
  /** Signal take-over for commands that forward signals (cli.ts passes the process's router). */
  signals?: SignalRouter;
  now?: () => Date;
  runtime: Runtime;
}

/** One run of mcpctl: what building the command's environment and reporting its error share. */
export interface Invocation {
  io: CliIO;
  /** This run's secrets: registered as they are learnt, redacted from everything printed. */
  secrets: SecretRegistry;
  signals: SignalRouter;
  /** `--json` / `--debug` among mcpctl's own arguments (known before commander parses). */
  json: boolean;
  debug: boolean;
  /** The command's Output, once one was built (errors print through it). */
  out?: Output;
}
