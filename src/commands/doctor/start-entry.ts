/**
 * Starts a client entry exactly as the client would (its command and args, a client's sparse
 * environment), sends MCP `initialize` on stdin, and waits for the answer on stdout: the one
 * check that proves the whole chain — node, mcpctl, configuration, database, interpreter, server.
 */
import { execStream } from '../../lib/process/exec.js';
import { signalGroup, waitGroupGone } from '../../lib/process/supervisor.js';

export interface StartOutcome {
  ok: boolean;
  /** The server's name and version from its answer, or why it failed. */
  message: string;
  /** The last lines the entry wrote on stderr (mcpctl's and the server's messages), redacted by the caller. */
  stderrTail: string;
  ms: number;
}

const PROTOCOL_VERSION = '2025-06-18';

export async function startEntry(command: string, args: string[], opts: { env: Readonly<Record<string, string | undefined>>; cwd: string; timeoutMs: number; version: string }): Promise<StartOutcome> {
  const t0 = performance.now();
  const { child } = await execStream(command, args, { cwd: opts.cwd, env: opts.env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', detached: true });
  let stdout = '';
  let stderr = '';
  let settle: (o: { ok: boolean; message: string }) => void = () => undefined;
  const answered = new Promise<{ ok: boolean; message: string }>((resolve) => (settle = resolve));
  child.stdout?.on('data', (d: Buffer) => {
    stdout += String(d);
    for (const line of stdout.split('\n').slice(0, -1)) {
      let msg: { id?: unknown; result?: { serverInfo?: { name?: string; version?: string } }; error?: { message?: string } };
      try {
        msg = JSON.parse(line);
      } catch {
        settle({ ok: false, message: `wrote something that is not JSON-RPC on stdout (${line.slice(0, 60)}): stdout must carry only the protocol` });
        return;
      }
      if (msg.id !== 1) continue;
      if (msg.error) settle({ ok: false, message: `answered initialize with an error: ${msg.error.message ?? 'unknown'}` });
      else settle({ ok: true, message: `answers initialize (${msg.result?.serverInfo?.name ?? 'server'} ${msg.result?.serverInfo?.version ?? ''})`.replace(/ \)$/, ')') });
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-4000)));
  void child.then((r) => settle({ ok: false, message: `exited (${r.signal ?? `code ${r.exitCode}`}) before answering initialize` }));
  const timer = setTimeout(() => settle({ ok: false, message: `no answer to initialize within ${Math.round(opts.timeoutMs / 1000)} s` }), opts.timeoutMs);
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcpctl-doctor', version: opts.version } } };
  child.stdin?.on('error', () => undefined);
  child.stdin?.write(JSON.stringify(init) + '\n');
  const result = await answered;
  clearTimeout(timer);
  // Closing stdin is how a client says goodbye; then the group is stopped as serve would be.
  child.stdin?.end();
  if (child.pid !== undefined) {
    if (!(await waitGroupGone(child.pid, 2000))) {
      signalGroup(child.pid, 'SIGTERM');
      if (!(await waitGroupGone(child.pid, 5000))) signalGroup(child.pid, 'SIGKILL');
    }
  }
  await child.catch(() => undefined);
  const tail = stderr.trim().split('\n').slice(-3).join(' | ');
  return { ...result, stderrTail: tail, ms: performance.now() - t0 };
}
