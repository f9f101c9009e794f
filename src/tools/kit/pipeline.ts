import type { z } from 'zod';
import { ConsentProblem } from '../../auth/consent/problems.js';
import type { KeyClaim } from '../../auth/idempotency.js';
import type { AccessSession } from '../../auth/access.js';
import type { AccessResult } from '../../auth/provider-api.js';
import type { WriteOutcomeKind } from '../../contract.js';
import type { Logger } from '../../log.js';
import type { ProviderToolDefinition, ToolContext, ToolDefinition, WriteSpec } from './define.js';
import { judgeWrite, keyTakenResult, mayHaveActed } from './judge.js';
import { failureResult } from './provider-tool.js';
import { errorResult, type ToolResult } from './result.js';

/**
 * One tool call, as a list of steps (STYLE, "A call is a pipeline"):
 *
 *   validate → policy → idempotency → access → run → judge → audit
 *
 * Each step either answers the call or hands on. `run` executes once; the API client it gets resends a
 * single request itself and ends the call with a typed failure the access step turns into a result. What
 * happens after the provider acted (settling a key, last-use times, the audit row) is logged when it
 * fails and never changes the answer.
 */

/** Placeholder for approvals (DESIGN, "The approval-required result"): an answer instead of running. */
export type PolicyHook = (
  tool: ToolDefinition,
  input: unknown,
  ctx: ToolContext,
) => Promise<ToolResult | null>;

export interface CallSteps {
  log: Logger;
  /** The call's correlation id, shown to the user for an internal error. */
  callId: string;
  policy?: PolicyHook;
  /** Told every answer (audit trail, metrics); must not throw. */
  audit(result: ToolResult): Promise<void>;
}

export async function callTool(
  tool: ToolDefinition,
  args: unknown,
  ctx: ToolContext,
  steps: CallSteps,
): Promise<ToolResult> {
  let result: ToolResult;
  try {
    result = await answer(tool, args, ctx, steps);
  } catch (err) {
    result = unexpected(err, tool, ctx, steps);
  }
  await steps.audit(result).catch((err: unknown) => {
    steps.log.error({ ref: steps.callId, err: (err as Error).message }, 'could not record the tool call');
  });
  return result;
}

async function answer(tool: ToolDefinition, args: unknown, ctx: ToolContext, steps: CallSteps) {
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) return invalidInput(tool, parsed.error);
  const input = parsed.data;
  // A call the tool's own policy data refuses goes no further; `approve` is the approvals hook's to hold.
  if (tool.policy?.(input) === 'deny') {
    return errorResult('forbidden', `An operator turned off this kind of call to ${tool.name}.`, {
      ...(tool.provider ? { provider: tool.provider } : {}),
    });
  }
  const held = await steps.policy?.(tool, input, ctx);
  if (held) return held;
  if (tool.provider === undefined) return tool.run(input, ctx);

  const write = tool.write?.(input);
  const key = write?.key === undefined ? undefined : new Key(ctx, `${tool.name}:${write.key}`, steps.log);
  const claim = await key?.claim();
  if (claim && claim.type !== 'claimed' && write) return keyTakenResult(claim, write);

  let session: AccessSession | undefined;
  let ran: AccessResult<ToolResult>;
  try {
    const opened = await ctx.services.access.open(ctx.userId, tool.provider, tool.scopes);
    if (!opened.ok) ran = opened;
    else {
      session = opened.value;
      ran = await session.run((api) => tool.run(input, api, ctx));
    }
  } catch (err) {
    // An exception says nothing about what the provider did, unless nothing reached it.
    await key?.settle((session?.wire.reached ?? 0) > 0 ? 'uncertain' : 'not_acted');
    throw err;
  }
  return judged(tool, ctx, ran, session, write, key);
}

/** The judge: what the write did decides the key's fate and whether the agent must check first. */
async function judged(
  tool: ProviderToolDefinition,
  ctx: ToolContext,
  ran: AccessResult<ToolResult>,
  session: AccessSession | undefined,
  write: WriteSpec | undefined,
  key: Key | undefined,
): Promise<ToolResult> {
  const result = ran.ok ? ran.value : await failureResult(ctx, tool.provider, ran.failure);
  if (!write) return result;
  const outcome = session ? judgeWrite(ran, session.wire) : 'not_acted';
  await key?.settle(outcome, result.structured);
  return outcome === 'uncertain' ? mayHaveActed(ran, tool.provider, write, key !== undefined) : result;
}

/** An idempotency key for one call: claimed before access, settled after the judge. */
class Key {
  #claimId: string | undefined;
  constructor(
    readonly ctx: ToolContext,
    readonly key: string,
    private readonly log: Logger,
  ) {}

  async claim(): Promise<KeyClaim> {
    const c = await this.ctx.services.idempotency.claim(this.ctx.userId, this.key, this.ctx.signal);
    if (c.type === 'claimed') this.#claimId = c.claimId;
    return c;
  }

  /** Bookkeeping: a store that fails here is logged; the answer stands (the claim's lease runs out). */
  async settle(outcome: WriteOutcomeKind, result?: Record<string, unknown>): Promise<void> {
    if (this.#claimId === undefined) return;
    const id = this.#claimId;
    this.#claimId = undefined;
    try {
      await this.ctx.services.idempotency.settle(this.ctx.userId, this.key, id, outcome, result);
    } catch (err) {
      this.log.error({ user: this.ctx.userId, outcome, err: (err as Error).message }, 'could not settle key');
    }
  }
}

function invalidInput(tool: ToolDefinition, err: z.ZodError): ToolResult {
  const problems = err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`)
    .join('; ');
  return errorResult('invalid_request', `Invalid input for ${tool.name}: ${problems}`);
}

/**
 * An exception no step answered. The SDK would send a thrown message to the model as is, so a consent
 * problem becomes its result kind and anything else a reference to the logged error.
 */
function unexpected(err: unknown, tool: ToolDefinition, ctx: ToolContext, steps: CallSteps): ToolResult {
  if (err instanceof ConsentProblem) return errorResult(err.kind, err.message);
  steps.log.error(
    {
      ref: steps.callId,
      tool: tool.name,
      user: ctx.userId,
      err: (err as Error).message,
      stack: (err as Error).stack,
    },
    'tool failed',
  );
  return errorResult('unknown', `toolvault hit an internal error (ref ${steps.callId}).`);
}
