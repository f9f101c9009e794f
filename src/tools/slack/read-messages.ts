import { z } from 'zod';
import { defineProviderTool } from '../kit/provider-tool.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';
import { channelInput, displayChannel, resolveChannel, SLACK_TS } from './refs.js';
import { slackRequestFailed, slackUnreadable } from './errors.js';

const history = z.object({
  messages: z.array(
    z.object({
      ts: z.string(),
      user: z.string().optional(),
      bot_id: z.string().optional(),
      text: z.string().optional(),
      thread_ts: z.string().optional(),
      reply_count: z.number().optional(),
      subtype: z.string().optional(),
    }),
  ),
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

export const slackReadMessages = defineProviderTool({
  name: 'slack.readMessages',
  title: 'Read Slack messages',
  description:
    'Read messages from a Slack channel (top-level messages and thread parents), newest first. To get only ' +
    'new messages, pass `oldest` = the newest ts seen last time: messages after it are returned. Results ' +
    'come in pages: when `nextCursor` is returned, call again with the same arguments and `cursor` for older ' +
    'ones. A message with `replyCount` is a thread parent; reply to it with slack.postMessage threadTs = its ' +
    'ts. `channel` takes an id or a #name (a name is looked up, which needs the channels:read scope).',
  provider: 'slack',
  scopes: ['channels:history'],
  input: z.object({
    channel: channelInput,
    oldest: SLACK_TS.optional().describe('only messages after this ts (exclusive), e.g. the newest ts seen'),
    limit: z.number().int().min(1).max(200).optional().describe('messages per page, 1-200; default 50'),
    cursor: z.string().min(1).optional().describe('nextCursor from a previous call, to get older messages'),
  }),
  output: outputSchema({
    channel: z.string().optional().describe('id of the channel read'),
    messages: z
      .array(
        z.object({
          ts: z.string().describe("the message's id within the channel; also its time"),
          user: z.string().optional().describe('Slack user id of the author (bot messages have none)'),
          text: z.string().describe('message text (Slack mrkdwn)'),
          threadTs: z.string().optional().describe('set on thread parents: the thread to reply in'),
          replyCount: z.number().optional().describe('replies in the thread, on thread parents'),
        }),
      )
      .optional(),
    nextCursor: z
      .string()
      .optional()
      .describe('pass as cursor for the next (older) page; absent on the last'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(input, api) {
    const shown = displayChannel(input.channel);
    const resolved = await resolveChannel(api, input.channel);
    if ('error' in resolved) return slackRequestFailed(resolved.error, shown);
    if ('unreadable' in resolved) return slackUnreadable('conversations.list');
    if ('notFound' in resolved) {
      return errorResult(
        'not_found',
        `Slack has no public channel named ${shown} that this user can see. Call slack.listChannels to find ` +
          'the channel id (private channels need their id).',
        { provider: 'slack' },
      );
    }
    const r = await api.request('GET', 'conversations.history', {
      query: { channel: resolved.id, oldest: input.oldest, limit: input.limit ?? 50, cursor: input.cursor },
    });
    if (r.error) return slackRequestFailed(r.error, shown);
    const body = history.safeParse(r.body);
    if (!body.success) return slackUnreadable('conversations.history');
    const messages = body.data.messages.map((m) => ({
      ts: m.ts,
      ...(m.user ? { user: m.user } : {}),
      text: m.text ?? '',
      ...(m.thread_ts ? { threadTs: m.thread_ts } : {}),
      ...(m.reply_count !== undefined ? { replyCount: m.reply_count } : {}),
    }));
    const next = (body.data.has_more && body.data.response_metadata?.next_cursor) || undefined;
    const text =
      messages.length === 0
        ? `No messages in ${shown}${input.oldest ? ` after ${input.oldest}` : ''}.`
        : `${messages.length} message${messages.length === 1 ? '' : 's'} from ${shown}, newest first` +
          `${next ? '; more with nextCursor' : ''}.`;
    return okResult(text, { channel: resolved.id, messages, ...(next ? { nextCursor: next } : {}) });
  },
});
