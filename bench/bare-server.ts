import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';
import { z } from 'zod';

/**
 * The overhead baseline: a bare MCP SDK server (McpServer, stateful streamable HTTP or stdio) with one tool,
 * `github_createIssue`, that validates its input with zod and forwards it to the GitHub fake with a hard-coded
 * token — what a hand-written server with no vault, no decryption and no freshness check costs.
 *
 *   node --import ./test/support/ts-register.mjs bench/bare-server.ts --http PORT | --stdio
 *   env: BENCH_GITHUB_URL, BENCH_GITHUB_TOKEN
 */

const api = process.env['BENCH_GITHUB_URL'];
const token = process.env['BENCH_GITHUB_TOKEN'];
if (!api || !token) throw new Error('BENCH_GITHUB_URL and BENCH_GITHUB_TOKEN are required');

function newServer(): McpServer {
  const server = new McpServer({ name: 'bare', version: '1.0.0' });
  server.registerTool(
    'github_createIssue',
    {
      title: 'Create a GitHub issue',
      description: 'Open a new issue in a GitHub repository.',
      inputSchema: {
        owner: z.string().min(1).max(39).describe('repository owner'),
        repo: z.string().min(1).max(100).describe('repository name'),
        title: z.string().min(1).max(256).describe('issue title'),
        body: z.string().max(65_536).optional().describe('issue text'),
        labels: z.array(z.string()).max(20).optional().describe('labels'),
      },
      outputSchema: {
        status: z.enum(['ok', 'error']),
        number: z.number().optional(),
        url: z.string().optional(),
        id: z.number().optional(),
        message: z.string().optional(),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async ({ owner, repo, title, body, labels }) => {
      const res = await fetch(
        `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/vnd.github+json',
            'content-type': 'application/json',
            'user-agent': 'bare-bench',
            'x-github-api-version': '2022-11-28',
          },
          body: JSON.stringify({
            title,
            ...(body !== undefined ? { body } : {}),
            ...(labels ? { labels } : {}),
          }),
        },
      );
      const json = (await res.json()) as {
        number?: number;
        html_url?: string;
        id?: number;
        message?: string;
      };
      if (!res.ok) {
        const message = `GitHub answered ${res.status}`;
        return {
          isError: true,
          content: [{ type: 'text', text: message }],
          structuredContent: { status: 'error', message },
        };
      }
      const out = {
        status: 'ok' as const,
        number: json.number ?? 0,
        url: json.html_url ?? '',
        id: json.id ?? 0,
      };
      return {
        content: [{ type: 'text', text: `Created issue #${out.number}: ${out.url}` }],
        structuredContent: out,
      };
    },
  );
  return server;
}

async function serveHttp(port: number): Promise<void> {
  const app = createMcpExpressApp();
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  app.post('/mcp', async (req, res) => {
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? sessions.get(id) : undefined;
    if (existing) return existing.handleRequest(req, res, req.body);
    if (!isInitializeRequest(req.body)) {
      res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'no session' }, id: null });
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await newServer().connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const onSession = async (req: Request, res: Response) => {
    const id = req.headers['mcp-session-id'];
    const t = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!t) {
      res.status(404).end();
      return;
    }
    await t.handleRequest(req, res);
  };
  app.get('/mcp', onSession);
  app.delete('/mcp', onSession);
  const server = app.listen(port, '127.0.0.1', () => {
    const bound = (server.address() as AddressInfo).port;
    process.stderr.write(`bare MCP endpoint: http://127.0.0.1:${bound}/mcp\n`);
  });
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  server.closeAllConnections();
  server.close();
}

const mode = process.argv[2];
if (mode === '--http') await serveHttp(Number(process.argv[3] ?? 0));
else if (mode === '--stdio') await newServer().connect(new StdioServerTransport());
else throw new Error('usage: bare-server.ts --http PORT | --stdio');
