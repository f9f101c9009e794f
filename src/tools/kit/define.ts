import type { z } from 'zod';
import type { AccessBroker } from '../../auth/access.js';
import type { ConnectionService } from '../../auth/connections.js';
import type { ConsentService } from '../../auth/consent/links.js';
import type { IdempotencyService } from '../../auth/idempotency.js';
import type { ProviderApi } from '../../auth/provider-api.js';
import type { CallPolicy } from '../../providers/types.js';
import type { ToolResult } from './result.js';

/**
 * A tool is data plus one `run` function that executes once per call (pipeline.ts runs the steps around
 * it). A provider tool's `run` gets an API client that injects the user's token and deals with credential
 * trouble itself; it never sees a token and never defends itself against being run twice.
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

/**
 * What a write tells the pipeline: the agent's idempotency key if any, and the words for an outcome the
 * judge cannot confirm ("GitHub did not confirm creating the issue in o/r: it may or may not exist").
 */
export interface WriteSpec {
  /** The agent's key, as given; the pipeline namespaces it by tool. */
  key?: string | undefined;
  /** Display name of the provider, e.g. `GitHub`. */
  provider: string;
  /** e.g. `the issue in o/r`. */
  thing: string;
  /** e.g. `creating`. */
  verb: string;
  /** How the agent can check whether the write happened, e.g. "search with github.searchIssues". */
  howToCheck: string;
  /** The text of a replayed result (writes under a key). */
  replay?: (result: Record<string, unknown>, firstAt: string) => string;
}

interface ToolBase<S extends z.ZodObject> {
  /** Canonical dotted name (`slack.postMessage`); served as `slack_postMessage` by default. */
  name: string;
  title: string;
  /** Written for a model: what it does, when to use it, what comes back. */
  description: string;
  input: S;
  output: z.ZodObject;
  annotations: ToolAnnotations;
  /**
   * What a call needs before it runs, read from its validated input: `allow`, a person's `approve`al, or
   * `deny`. Data for the approvals step of the pipeline; absent means its default for the annotations.
   */
  policy?: (input: z.infer<S>) => CallPolicy;
}

/** A tool that answers from toolvault itself (auth.start, auth.status, auth.disconnect). */
export interface LocalToolDefinition<S extends z.ZodObject = z.ZodObject> extends ToolBase<S> {
  provider?: undefined;
  run(input: z.infer<S>, ctx: ToolContext): Promise<ToolResult>;
}

/** A tool that acts through the user's connection to `provider`, which must grant `scopes`. */
export interface ProviderToolDefinition<S extends z.ZodObject = z.ZodObject> extends ToolBase<S> {
  provider: string;
  scopes: string[];
  /**
   * Set on tools that change something at the provider: its outcome is judged, and a key honoured. A tool
   * whose input decides (`<provider>.request`: GET reads, POST writes) answers undefined for a read.
   */
  write?: (input: z.infer<S>) => WriteSpec | undefined;
  run(input: z.infer<S>, api: ProviderApi, ctx: ToolContext): Promise<ToolResult>;
}

export type ToolDefinition<S extends z.ZodObject = z.ZodObject> =
  LocalToolDefinition<S> | ProviderToolDefinition<S>;

/**
 * Declares a tool. The result is erased to the common type: the pipeline validates input with `def.input`
 * before calling `run`, which is what makes the erasure safe.
 */
export function defineTool<S extends z.ZodObject>(def: LocalToolDefinition<S>): ToolDefinition {
  return def as unknown as ToolDefinition;
}
