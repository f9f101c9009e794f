import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from '../log.js';

/**
 * The web listener (connect links, admin, metrics, demo). In stdio mode a port already in use must not kill
 * the MCP side (DESIGN.md, "Commands"): with `tolerateInUse` that is logged and answered with null.
 */
export async function listenWeb(
  web: RequestListener,
  at: { host: string; port: number },
  log: Logger,
  tolerateInUse: boolean,
): Promise<Server | null> {
  const server = createServer(web);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (tolerateInUse && (code === 'EADDRINUSE' || code === 'EACCES')) {
      log.error(
        { host: at.host, port: at.port, code },
        'web listener unavailable: tools keep working, but connect links need another port (TOOLVAULT_PORT)',
      );
      return null;
    }
    throw err;
  }
  return server;
}

/** The public URL of a listener bound to `host:port` (a wildcard host is reached on loopback). */
export function boundUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
