import { z } from 'zod';

/** The idempotency key every write takes: the agent's stable id for the change it means to make once. */
export const idempotencyKeyInput = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe(
    'your stable id for this write (e.g. the ticket it comes from): a repeat within 24 h returns the first result',
  );

export const idempotentReplayOutput = z
  .boolean()
  .optional()
  .describe('true when this is the result of an earlier call with the same idempotencyKey');

/** Annotations of a write that adds something (never destroys), and of a read. */
export const WRITE = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};
export const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };

/** Cuts `text` to `max` characters, saying so. */
export function cutText(text: string, max: number): { text: string; truncated?: true } {
  return text.length > max ? { text: text.slice(0, max), truncated: true } : { text };
}
