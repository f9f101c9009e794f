import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { correlationId, withLogContext } from '../log-context.js';
import type { ToolContext, ToolDefinition, ToolServices } from '../tools/kit/define.js';
import { callTool } from '../tools/kit/pipeline.js';
import type { ToolResult } from '../tools/kit/result.js';
import type { ToolCallRecord } from '../ops/audit.js';

/**
 * MCP wiring on the SDK's low-level Server: we keep our own tool registry so every tool is reachable by
 * both its dotted and its underscore name while only one form is listed (Claude Desktop, claude.ai, Codex
 * and the Copilot SDK reject a whole list when one name has a dot).
 */

export type ToolNameStyle = 'underscore' | 'dotted';

export const servedName = (name: string, style: ToolNameStyle): string =>
  style === 'dotted' ? name : name.replaceAll('.', '_');

/** What tool calls need from the running app; tools/list needs none of it. */
export interface McpRuntime {
  services: ToolServices;
  log: Logger;
  /** Told about every finished call (audit trail, metrics); awaited, and never fails the call. */
  onToolCall?: (record: ToolCallRecord) => Promise<void>;
  /** Wall time of calls for the audit trail (the app's clock). */
  now?: () => number;
}

export interface McpServerOptions {
  tools: readonly ToolDefinition[];
  toolNames: ToolNameStyle;
  version: string;
  /** Who is calling this request (stdio: the configured user; HTTP: from the request's auth info). */
  userOf: (authInfo: { extra?: Record<string, unknown> } | undefined) => string;
  /**
   * Resolves once the server can run tools (vault open, web listener bound, demo provider up). Only tool
   * calls wait for it, so an agent's initialize and tools/list are answered while the app is still starting.
   */
  runtime: () => Promise<McpRuntime>;
}

function describe(tool: ToolDefinition, style: ToolNameStyle): Tool {
  return {
    name: servedName(tool.name, style),
    title: tool.title,
    description: tool.description,
    inputSchema: z.toJSONSchema(tool.input, { io: 'input' }) as Tool['inputSchema'],
    outputSchema: z.toJSONSchema(tool.output, { io: 'output' }) as Tool['outputSchema'],
    annotations: { title: tool.title, ...tool.annotations },
  };
}

function toCallResult(r: ToolResult): CallToolResult {
  return { content: [{ type: 'text', text: r.text }], structuredContent: r.structured, isError: r.isError };
}

export function createMcpServer(opts: McpServerOptions): Server {
  const server = new Server(
    { name: 'toolvault', title: 'toolvault', version: opts.version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        'toolvault acts in third-party apps as the user. When a tool returns status "auth_required", show ' +
        'the user the authUrl, then call auth.status with the authId and waitSeconds before retrying.',
    },
  );
  const byName = new Map<string, ToolDefinition>();
  for (const t of opts.tools) {
    byName.set(t.name, t);
    byName.set(servedName(t.name, 'underscore'), t);
  }
  const listed = opts.tools.map((t) => describe(t, opts.toolNames));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listed }));

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const rt = await opts.runtime();
    const tool = byName.get(req.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
    const userId = opts.userOf(extra.authInfo);
    // One correlation id per call: on every log line and event it causes, in its audit record, and in the
    // reference an internal error shows the user.
    const callId = correlationId('call');
    const at = rt.now?.() ?? Date.now();
    const started = performance.now();
    const ctx: ToolContext = {
      userId,
      signal: extra.signal,
      services: rt.services,
      offerLink: async (link) => {
        // URL-mode elicitation needs the client's say-so; the auth_required result is sent regardless.
        if (!server.getClientCapabilities()?.elicitation?.url) return;
        server
          .elicitInput({
            mode: 'url',
            message: link.message,
            url: link.url,
            elicitationId: link.elicitationId,
          })
          .catch((err: unknown) =>
            rt.log.debug({ err: (err as Error).message }, 'url elicitation not completed'),
          );
      },
    };
    const audit = async (r: ToolResult): Promise<void> => {
      const s = r.structured;
      const provider = tool.provider ?? s['provider'];
      await rt.onToolCall?.({
        at,
        userId,
        tool: tool.name,
        provider: typeof provider === 'string' ? provider : null,
        status: s.status,
        kind: s.kind ?? s.reason ?? null,
        durationMs: performance.now() - started,
        correlationId: callId,
      });
    };
    return withLogContext({ callId }, async () =>
      toCallResult(await callTool(tool, req.params.arguments, ctx, { log: rt.log, callId, audit })),
    );
  });
  return server;
}
