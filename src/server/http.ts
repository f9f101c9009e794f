import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
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
}

const rpcError = (res: Response, status: number, code: number, message: string): void => {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
};

export interface McpHttpHandle {
  sessions: () => number;
  closeAll: () => Promise<void>;
}

export function mountMcpHttp(app: Express, o: McpHttpOptions): McpHttpHandle {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const maxSessions = o.maxSessions ?? 1000;

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
    next();
  };
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

  const sessionOf = (req: Request): StreamableHTTPServerTransport | undefined => {
    const id = req.headers['mcp-session-id'];
    return typeof id === 'string' ? sessions.get(id) : undefined;
  };

  app.post('/mcp', guard, parseBody, async (req, res) => {
    try {
      const existing = sessionOf(req);
      if (existing) return await existing.handleRequest(req, res, req.body);
      if (req.headers['mcp-session-id']) return rpcError(res, 404, -32001, 'Session not found');
      if (!isInitializeRequest(req.body)) {
        return rpcError(res, 400, -32600, 'Bad Request: no valid session id, and not an initialize request');
      }
      if (sessions.size >= maxSessions) return rpcError(res, 503, -32000, 'Too many open sessions');
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
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
    const t = sessionOf(req);
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
  app.get('/mcp', guard, sessionRequest);
  app.delete('/mcp', guard, sessionRequest);

  return {
    sessions: () => sessions.size,
    closeAll: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
    },
  };
}
