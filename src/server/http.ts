import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Logger } from '../log.js';

/**
 * Streamable HTTP at /mcp: one SDK server per session (a server instance serves one transport), session
 * teardown on DELETE, Host and Origin checks against DNS rebinding, a body size limit, and JSON-RPC
 * errors for everything that is not a valid request.
 */

export interface McpHttpOptions {
  newServer: () => Server;
  log: Logger;
  /** Hosts a request may name (DNS rebinding defence); host:port forms of the public URL and bind address. */
  allowedHosts: () => string[];
  /** Origins a browser-originated request may come from; requests without Origin are allowed. */
  allowedOrigins: () => string[];
  maxBodyBytes?: number;
  maxSessions?: number;
  /** Run after the Host/Origin guard and before the body is read: caller identity, rate limiting. */
  before?: RequestHandler[];
  /**
   * Who a request comes from (its credential). A session answers only requests from the one that opened it:
   * a session id seen by someone else (a log, a proxy) is not a way in.
   */
  ownerOf?: (req: Request) => string | undefined;
  /**
   * No sessions: a fresh server and transport per POST, JSON responses, GET and DELETE refused with 405.
   * Any instance behind a load balancer can then answer any request; server-to-client requests
   * (elicitation) are unavailable, as the per-request server never saw the client's capabilities.
   */
  stateless?: boolean;
  /** A session with no request for this long (and none open) is closed; default 30 minutes. */
  sessionIdleMs?: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  owner: string | undefined;
  lastSeen: number;
  /** Requests still open on it (a GET stream can stay open for hours: that is not idleness). */
  open: number;
}

// Browser-based clients on an allowed origin must be able to send these and read the session id and the
// 401 challenge (CORS hides response headers that are not exposed).
const CORS = {
  'Access-Control-Allow-Headers':
    'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
  'Access-Control-Expose-Headers': 'Mcp-Session-Id, WWW-Authenticate, Retry-After',
};

/** A JSON-RPC error response with no id (the request could not be read or was refused before it was). */
export const rpcError = (res: Response, status: number, code: number, message: string): void => {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
};

export interface McpHttpHandle {
  sessions: () => number;
  /** Closes sessions idle at `now` (run every minute on its own); returns how many. */
  sweepIdle: (now?: number) => Promise<number>;
  closeAll: () => Promise<void>;
}

export function mountMcpHttp(app: Express, o: McpHttpOptions): McpHttpHandle {
  const sessions = new Map<string, Session>();
  const maxSessions = o.maxSessions ?? 1000;
  const idleMs = o.sessionIdleMs ?? 30 * 60_000;
  const before = o.before ?? [];
  const ownerOf = o.ownerOf ?? (() => undefined);

  const guard = (req: Request, res: Response, next: NextFunction): void => {
    const host = req.headers.host;
    if (!host || !o.allowedHosts().includes(host.toLowerCase())) {
      rpcError(res, 403, -32000, `Forbidden: Host header ${host ? `"${host}" ` : ''}is not allowed`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !o.allowedOrigins().includes(origin.toLowerCase())) {
      rpcError(res, 403, -32000, `Forbidden: Origin "${origin}" is not allowed`);
      return;
    }
    if (origin !== undefined) res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...CORS });
    next();
  };
  app.options('/mcp', guard, (_req, res) => {
    res
      .set('Access-Control-Allow-Methods', o.stateless ? 'POST' : 'GET, POST, DELETE')
      .status(204)
      .end();
  });
  const json = express.json({
    limit: o.maxBodyBytes ?? 1_000_000,
    type: ['application/json', 'application/*+json'],
  });
  const parseBody = (req: Request, res: Response, next: NextFunction): void => {
    json(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { type?: string; status?: number };
      if (e.type === 'entity.too.large') return rpcError(res, 413, -32600, 'Request body too large');
      if (e.type === 'entity.parse.failed')
        return rpcError(res, 400, -32700, 'Parse error: body is not valid JSON');
      return rpcError(res, e.status ?? 400, -32600, 'Invalid request body');
    });
  };

  /** The caller's session named by the request, marked in use until the response closes. */
  const sessionOf = (req: Request, res: Response): StreamableHTTPServerTransport | undefined => {
    const id = req.headers['mcp-session-id'];
    const s = typeof id === 'string' ? sessions.get(id) : undefined;
    // Another caller's session is reported exactly like one that does not exist.
    if (!s || s.owner !== ownerOf(req)) return undefined;
    s.open++;
    s.lastSeen = Date.now();
    res.once('close', () => {
      s.open--;
      s.lastSeen = Date.now();
    });
    return s.transport;
  };

  if (o.stateless) {
    mountStateless(app, o, [guard, ...before, parseBody]);
    return { sessions: () => 0, sweepIdle: async () => 0, closeAll: async () => undefined };
  }

  const sweepIdle = async (now = Date.now()): Promise<number> => {
    const idle = [...sessions.values()].filter((s) => s.open === 0 && now - s.lastSeen >= idleMs);
    await Promise.allSettled(idle.map((s) => s.transport.close()));
    return idle.length;
  };
  const sweeper = setInterval(() => void sweepIdle(), Math.min(60_000, idleMs));
  sweeper.unref();

  app.post('/mcp', guard, ...before, parseBody, async (req, res) => {
    try {
      const existing = sessionOf(req, res);
      if (existing) return await existing.handleRequest(req, res, req.body);
      if (req.headers['mcp-session-id']) return rpcError(res, 404, -32001, 'Session not found');
      if (!isInitializeRequest(req.body)) {
        return rpcError(res, 400, -32600, 'Bad Request: no valid session id, and not an initialize request');
      }
      if (sessions.size >= maxSessions) return rpcError(res, 503, -32000, 'Too many open sessions');
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, owner: ownerOf(req), lastSeen: Date.now(), open: 0 });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await o.newServer().connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      o.log.error({ err: (err as Error).message }, 'mcp request failed');
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
    }
  });

  const sessionRequest = async (req: Request, res: Response): Promise<void> => {
    const t = sessionOf(req, res);
    if (!t) {
      if (!req.headers['mcp-session-id'])
        return rpcError(res, 400, -32000, 'Bad Request: missing Mcp-Session-Id');
      return rpcError(res, 404, -32001, 'Session not found');
    }
    try {
      await t.handleRequest(req, res);
    } catch (err) {
      o.log.error({ err: (err as Error).message }, 'mcp session request failed');
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
    }
  };
  app.get('/mcp', guard, ...before, sessionRequest);
  app.delete('/mcp', guard, ...before, sessionRequest);

  return {
    sessions: () => sessions.size,
    sweepIdle,
    closeAll: async () => {
      clearInterval(sweeper);
      await Promise.allSettled([...sessions.values()].map((s) => s.transport.close()));
      sessions.clear();
    },
  };
}

function mountStateless(app: Express, o: McpHttpOptions, chain: RequestHandler[]): void {
  app.post('/mcp', ...chain, async (req, res) => {
    const server = o.newServer();
    // No sessionIdGenerator: the SDK's stateless mode.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      o.log.error({ err: (err as Error).message }, 'mcp request failed');
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
    }
  });
  const noSessions: RequestHandler = (_req, res) => {
    res.set('Allow', 'POST');
    rpcError(res, 405, -32000, 'Method not allowed: this server is stateless (no sessions to stream or end)');
  };
  app.get('/mcp', chain[0]!, noSessions);
  app.delete('/mcp', chain[0]!, noSessions);
}
