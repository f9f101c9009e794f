import { z } from 'zod';
import { defineProviderTool } from '../kit/provider-tool.js';
import { okResult, outputSchema } from '../kit/result.js';
import { slackRequestFailed, slackUnreadable } from './errors.js';

const TYPES = ['public_channel', 'private_channel'] as const;

const page = z.object({
  channels: z.array(
    z.object({
      id: z.string(),
      name: z.string().optional(),
      is_private: z.boolean().optional(),
      is_archived: z.boolean().optional(),
      is_member: z.boolean().optional(),
    }),
  ),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

export const slackListChannels = defineProviderTool({
  name: 'slack.listChannels',
  title: 'List Slack channels',
  description:
    "List channels in the user's Slack workspace: id, name, whether the user is a member, whether it is " +
    'archived or private. Use it to find the id of a channel by name. Results come in pages: when ' +
    '`nextCursor` is returned, call again with `cursor` set to it for more. Private channels need the ' +
    'groups:read scope (an auth_required result asks the user for it).',
  provider: 'slack',
  scopes: ['channels:read'],
  input: z.object({
    types: z
      .array(z.enum(TYPES))
      .min(1)
      .optional()
      .describe('kinds of channel to list; default ["public_channel"]'),
    limit: z.number().int().min(1).max(200).optional().describe('channels per page, 1-200; default 100'),
    cursor: z.string().min(1).optional().describe('nextCursor from a previous call, to get the next page'),
    includeArchived: z.boolean().optional().describe('also list archived channels; default false'),
  }),
  output: outputSchema({
    channels: z
      .array(
        z.object({
          id: z.string().describe('channel id, e.g. C0123ABCD'),
          name: z.string().describe('channel name without #'),
          isMember: z.boolean().describe('whether the user is in the channel'),
          isArchived: z.boolean(),
          isPrivate: z.boolean(),
        }),
      )
      .optional(),
    nextCursor: z
      .string()
      .optional()
      .describe('pass as cursor to get the next page; absent on the last page'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(input, api) {
    const r = await api.request('GET', 'conversations.list', {
      query: {
        types: (input.types ?? ['public_channel']).join(','),
        limit: input.limit ?? 100,
        cursor: input.cursor,
        exclude_archived: !input.includeArchived,
      },
    });
    if (r.error) return slackRequestFailed(r.error, 'the channel list');
    const body = page.safeParse(r.body);
    if (!body.success) return slackUnreadable('conversations.list');
    const channels = body.data.channels.map((c) => ({
      id: c.id,
      name: c.name ?? c.id,
      isMember: c.is_member ?? false,
      isArchived: c.is_archived ?? false,
      isPrivate: c.is_private ?? false,
    }));
    const next = body.data.response_metadata?.next_cursor || undefined;
    const text =
      channels.length === 0
        ? 'No channels found.'
        : `${channels.length} channel${channels.length === 1 ? '' : 's'}: ${channels
            .slice(0, 20)
            .map((c) => `#${c.name} (${c.id})`)
            .join(', ')}${channels.length > 20 ? ', ...' : ''}${next ? '. More with nextCursor.' : '.'}`;
    return okResult(text, { channels, ...(next ? { nextCursor: next } : {}) });
  },
});
