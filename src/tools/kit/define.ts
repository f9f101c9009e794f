import type { z } from 'zod';
import type { AccessBroker } from '../../auth/access.js';
import type { ConnectionService } from '../../auth/connections.js';
import type { ConsentService } from '../../auth/consent/links.js';
import type { IdempotencyService } from '../../auth/idempotency.js';
import type { ToolResult } from './result.js';

/**
 * A tool is data plus one `run` function. `run` receives validated input and a context; it never sees a
 * token (provider tools get an authenticated API client, see provider-tool.ts).
 */

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolServices {
  consent: ConsentService;
  connections: ConnectionService;
  access: AccessBroker;
  /** Claims idempotency keys of writes (github.createIssue's `idempotencyKey`). */
  idempotency: IdempotencyService;
}

export interface ToolContext {
  /** Who is calling: the configured local user (stdio) or the API key's user (HTTP). */
  userId: string;
  signal: AbortSignal;
  services: ToolServices;
  /** Also sends an auth link through URL-mode elicitation, when the client declared it supports that. */
  offerLink?: (link: { message: string; url: string; elicitationId: string }) => Promise<void>;
}

export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Canonical dotted name (`slack.postMessage`); served as `slack_postMessage` by default. */
  name: string;
  title: string;
  /** Written for a model: what it does, when to use it, what comes back. */
  description: string;
  input: S;
  output: z.ZodObject;
  annotations: ToolAnnotations;
  /** Provider whose connection the tool acts through, and the scopes it needs. */
  provider?: string;
  scopes?: string[];
  run(input: z.infer<S>, ctx: ToolContext): Promise<ToolResult>;
}

/**
 * Declares a tool. The result is erased to the common type: the server validates input with `def.input`
 * before calling `run`, which is what makes the erasure safe.
 */
export function defineTool<S extends z.ZodObject>(def: ToolDefinition<S>): ToolDefinition {
  return def as unknown as ToolDefinition;
}
