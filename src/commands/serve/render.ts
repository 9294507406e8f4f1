import type { Output } from '../../lib/cli/output.js';
import { describeExit } from '../../lib/process/supervisor.js';
import type { ServeEvent } from './supervision.js';

const SHORT_REASON: Record<string, string> = {
  refused: 'connection refused',
  auth: 'login refused',
  'no-database': 'no such database',
  timeout: 'timed out',
  tls: 'TLS problem',
  'no-host': 'unknown host',
};

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

/** Renders serve's events on stderr (the child owns stdout); `grace` is --grace, for messages. */
export function serveRenderer(out: Output, grace: number): (e: ServeEvent) => void {
  const say = (text: string) => out.note(`${out.paint('muted', 'mcpctl:')} ${text}`);
  let lastWaitMessage: string | undefined;
  const opts = { grace };
  return (e) => {
    switch (e.type) {
      case 'interpreter':
        say(e.note);
        break;
      case 'health-listening':
        say(`health checks on ${e.url}`);
        break;
      case 'waiting': {
        const left = Math.ceil(e.attempt.remainingMs / 1000);
        // One short line: a wrapped status line could not be redrawn in place.
        if (out.progress) out.status(`waiting for PostgreSQL at ${e.server}: ${SHORT_REASON[e.attempt.error.code] ?? e.attempt.error.code}, ${left} s left`.slice(0, 79));
        else if (e.attempt.error.message !== lastWaitMessage) say(`waiting for PostgreSQL (${e.target}): ${e.attempt.error.message}; retrying for ${left} s`);
        lastWaitMessage = e.attempt.error.message;
        break;
      }
      case 'db-ready':
        if (e.attempts > 1) say(`PostgreSQL accepts ${e.target} (after ${seconds(Math.round(e.ms))})`);
        else out.debug(`PostgreSQL accepts ${e.target} (${Math.round(e.ms)} ms)`);
        break;
      case 'started':
        out.debug(`started pid ${e.pid}${e.restarts ? ` (restart ${e.restarts})` : ''}`);
        break;
      case 'signal':
        if (e.action === 'forwarded') say(`${e.signal} forwarded to the server (process group ${e.pid})${e.signal === 'SIGHUP' ? '' : `; SIGKILL in ${opts.grace} s if it is still running`}`);
        else if (e.action === 'killed') say(`${e.signal} again: killing the server (process group ${e.pid}) now`);
        else say(`${e.signal}: not restarting the server`);
        break;
      case 'exited':
        if (e.exit.killedAfterGrace) out.warn(`the server did not stop within ${opts.grace} s: killed`);
        else if (e.crashed) out.warn(`the server ${describeExit(e.exit)}`);
        else out.debug(`the server ${describeExit(e.exit)}`);
        break;
      case 'restarting':
        say(`restarting the server in ${seconds(e.delayMs)} (restart ${e.restarts}; it ${describeExit(e.exit)})`);
        break;
      case 'gave-up':
        out.error(`the server crashed ${e.crashes} times within ${seconds(e.windowMs)}; giving up`, 'run it in the foreground (`mcpctl serve` without --restart) to see why it fails');
        break;
    }
  };
}
