import { z } from 'zod';
import type { ProviderApi } from '../../auth/provider-api.js';
import type { ApiRequestError } from '../../providers/types.js';

/**
 * Slack references as agents give them: channels by id (`C0123ABCD`) or name (`#bug-reports`), and message
 * timestamps (`ts`, a message's id within its channel).
 */

export const SLACK_TS = z.string().regex(/^\d+\.\d+$/, 'a Slack timestamp such as "1700000000.000100"');

/** Slack conversation ids: C (public), G (private, legacy), D (IM), then upper-case letters and digits. */
const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;

export const channelInput = z
  .string()
  .trim()
  .min(1)
  .max(90)
  .regex(/^#?[^\s#,]+$/, 'a channel id like C0123ABCD or a name like #bug-reports')
  .describe('channel id (e.g. "C0123ABCD") or name (e.g. "#bug-reports")');

export function isChannelId(ref: string): boolean {
  return CHANNEL_ID.test(ref);
}

/** How a name is shown in messages: always with its `#`. */
export function displayChannel(ref: string): string {
  return isChannelId(ref) || ref.startsWith('#') ? ref : `#${ref}`;
}

const listPage = z.object({
  channels: z.array(z.object({ id: z.string(), name: z.string().optional() })),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

/** At most this many conversations.list pages of 1000 are searched for a name (Slack tier 2: 20/min). */
const MAX_PAGES = 5;

/**
 * Resolves a reference to a channel id. Ids pass through; names are looked up with conversations.list
 * (public and private channels the user is in), which needs `channels:read` — the API client turns a missing
 * scope into a scope update. Returns the request error when Slack refused the lookup.
 */
export async function resolveChannel(
  api: ProviderApi,
  ref: string,
): Promise<{ id: string } | { notFound: true } | { error: ApiRequestError } | { unreadable: true }> {
  if (isChannelId(ref)) return { id: ref };
  const name = ref.replace(/^#/, '');
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await api.request('GET', 'conversations.list', {
      query: { limit: 1000, exclude_archived: true, types: 'public_channel', cursor },
    });
    if (r.error) return { error: r.error };
    const body = listPage.safeParse(r.body);
    if (!body.success) return { unreadable: true };
    const hit = body.data.channels.find((c) => c.name === name);
    if (hit) return { id: hit.id };
    cursor = body.data.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return { notFound: true };
}
