/**
 * A tiny HTTP health endpoint (node:http, no framework): `GET /health` answers the JSON the
 * caller computes, 200 when healthy and 503 otherwise; every other path is 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../../lib/cli/errors.js';

/** The document of `GET /health` (the contract's shape). */
export interface HealthDoc {
  status: 'ok' | 'starting' | 'degraded' | 'down' | 'stopping';
  version: string;
  database_connected: boolean;
  server: { pid: number | null; uptime_s: number | null; restarts: number };
}

/** A listening health server. */
export interface HealthServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0: any free port) and answers with `health()`. */
export async function startHealthServer(host: string, port: number, health: () => Promise<{ healthy: boolean; doc: HealthDoc }>): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found', path: url }) + '\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed' }) + '\n');
      return;
    }
    health().then(
      ({ healthy, doc }) => {
        res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(doc) + '\n');
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String((e as Error)?.message ?? e) }) + '\n');
      },
    );
  });
  // A health endpoint must never keep mcpctl alive on its own.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new UserError(`cannot listen for health checks on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EACCES' ? 'permission denied' : e.message}`, {
          hint: 'choose another --health-port (or --health-host)',
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => undefined);
  const addr = server.address() as AddressInfo;
  return {
    host,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Wraps a database probe so that it runs at most once per `maxAgeMs` (requests in between get
 * the cached answer, concurrent ones share the probe in flight).
 */
export function cachedProbe(probe: () => Promise<boolean>, maxAgeMs = 1000, now: () => number = Date.now): () => Promise<boolean> {
  let last: { at: number; ok: boolean } | undefined;
  let inFlight: Promise<boolean> | undefined;
  return () => {
    if (last && now() - last.at < maxAgeMs) return Promise.resolve(last.ok);
    inFlight ??= probe()
      .catch(() => false)
      .then((ok) => {
        last = { at: now(), ok };
        inFlight = undefined;
        return ok;
      });
    return inFlight;
  };
}
