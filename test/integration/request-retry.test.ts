import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createMcpServer } from '../../src/server/mcp.js';
import type { ToolDefinition } from '../../src/tools/kit/define.js';
import { defineProviderTool } from '../../src/tools/kit/provider-tool.js';
import { okResult, outputSchema } from '../../src/tools/kit/result.js';
import { githubCreateIssue } from '../../src/tools/github/create-issue.js';
import { slackPostMessage } from '../../src/tools/slack/post-message.js';
import { type ActionRig, startActionRig } from '../support/action-rig.js';
import { sc } from '../support/toolvault.js';

/**
 * Retry the request, not the tool: a 401 makes the API client refresh once and resend that one request; the
 * tool's `run` executes once per call, and what happens after the provider acted never turns into an error.
 */

const GENERAL = 'C0GENERAL1';
const CREATE = 'POST /repos/{owner}/{repo}/issues';

/** A tool that sends two requests: a test of the client, not of any provider's tools. */
const twoRequests = defineProviderTool({
  name: 'test.twoRequests',
  title: 'Two requests',
  description: 'auth.test, then conversations.list',
  provider: 'slack',
  scopes: [],
  input: z.object({}),
  output: outputSchema({ channels: z.number().optional() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(_input, api) {
    await api.request('POST', 'auth.test');
    const r = await api.request('GET', 'conversations.list');
    const channels = (r.body as { channels?: unknown[] } | null)?.channels?.length ?? 0;
    return okResult(`${channels} channels`, { channels });
  },
});

/** The same tool with every execution of its `run` counted. */
function counted(tool: ToolDefinition): { tool: ToolDefinition; runs: () => number } {
  let runs = 0;
  const run = tool.run as (...args: unknown[]) => ReturnType<ToolDefinition['run']>;
  const wrapped = {
    ...tool,
    run: (...args: unknown[]) => {
      runs++;
      return run(...args);
    },
  } as ToolDefinition;
  return { tool: wrapped, runs: () => runs };
}

describe('a credential signal retries the request, not the tool', () => {
  let rig: ActionRig;
  let agent: Client;
  const createIssue = counted(githubCreateIssue);
  const postMessage = counted(slackPostMessage);

  beforeAll(async () => {
    rig = await startActionRig();
    rig.slack.addChannel({ id: GENERAL, name: 'general' });
    rig.github.addRepo({ owner: 'octocat', name: 'triage' });
    await rig.connect('slack');
    await rig.connect('github');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const app = rig.tv.app;
    await createMcpServer({
      tools: [twoRequests, createIssue.tool, postMessage.tool],
      toolNames: 'dotted',
      version: 'test',
      userOf: () => 'local',
      runtime: async () => ({ services: app.services, log: app.log, now: () => app.clock.now() }),
    }).connect(serverSide);
    agent = new Client({ name: 'test-agent', version: '1.0.0' });
    await agent.connect(clientSide);
  });
  afterAll(async () => {
    await agent?.close();
    await rig?.close();
  });
  beforeEach(() => {
    rig.slack.clearRequests();
    rig.github.clearRequests();
  });

  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await agent.callTool({ name, arguments: args })) as CallToolResult;
  const slackSent = (key: string) => rig.slack.requests().filter((r) => r.key === key);
  const slackRefreshes = () => rig.slack.tokenRequests()['refresh_token'] ?? 0;
  const githubRefreshes = () => rig.github.tokenRequests()['refresh_token'] ?? 0;

  it('sends the first request once and the second twice when the second gets a 401', async () => {
    const before = slackRefreshes();
    rig.slack.failNext('conversations.list', { error: 'invalid_auth' });
    const r = await call('test.twoRequests');
    expect(sc(r)).toMatchObject({ status: 'ok', channels: 1 });
    expect(slackSent('auth.test')).toHaveLength(1);
    const lists = slackSent('conversations.list');
    expect(lists).toHaveLength(2);
    expect(lists[0]!.token).not.toBe(lists[1]!.token);
    expect(slackRefreshes()).toBe(before + 1);
  });

  it('runs github.createIssue once when its write gets a 401, and creates exactly one issue', async () => {
    const issues = rig.github.issues('octocat', 'triage').length;
    const runs = createIssue.runs();
    const before = githubRefreshes();
    rig.github.failNext(CREATE, { reply: { status: 401, body: { message: 'Bad credentials' } } });
    const r = await call('github.createIssue', { owner: 'octocat', repo: 'triage', title: 'After a 401' });
    expect(sc(r)).toMatchObject({ status: 'ok', number: issues + 1 });
    expect(createIssue.runs()).toBe(runs + 1);
    const posts = rig.github.requests().filter((q) => q.key === CREATE);
    expect(posts).toHaveLength(2);
    expect(posts[0]!.token).not.toBe(posts[1]!.token);
    expect(githubRefreshes()).toBe(before + 1);
    expect(rig.github.issues('octocat', 'triage')).toHaveLength(issues + 1);
  });

  it('posts once and reports success when the permalink read gets a 401: it refreshes and reads again', async () => {
    const posted = rig.slack.messages(GENERAL).length;
    const before = slackRefreshes();
    rig.slack.failNext('chat.getPermalink', { error: 'invalid_auth' });
    const r = await call('slack.postMessage', { channel: GENERAL, text: 'permalink after a 401' });
    expect(r.isError).toBeFalsy();
    expect(sc(r)).toMatchObject({ status: 'ok', channel: GENERAL });
    expect(sc(r).permalink).toMatch(/^https:\/\/.+\.slack\.com\/archives\//);
    expect(slackSent('chat.postMessage')).toHaveLength(1);
    expect(slackSent('chat.getPermalink')).toHaveLength(2);
    expect(slackRefreshes()).toBe(before + 1);
    expect(rig.slack.messages(GENERAL)).toHaveLength(posted + 1);
  });

  it('posts once and reports success without a permalink when the permalink read is rate limited', async () => {
    const posted = rig.slack.messages(GENERAL).length;
    rig.slack.failNext('chat.getPermalink', { kind: 'ratelimited', retryAfter: 30 });
    const r = await call('slack.postMessage', { channel: GENERAL, text: 'permalink rate limited' });
    expect(r.isError).toBeFalsy();
    expect(sc(r)).toMatchObject({ status: 'ok', channel: GENERAL });
    expect(sc(r).permalink).toBeUndefined();
    expect(slackSent('chat.postMessage')).toHaveLength(1);
    expect(slackSent('chat.getPermalink')).toHaveLength(1);
    expect(rig.slack.messages(GENERAL)).toHaveLength(posted + 1);
  });

  it('returns ok for a done write whose bookkeeping fails after the provider acted', async () => {
    const issues = rig.github.issues('octocat', 'triage').length;
    // Past the minute within which lastUsedAt is not written again.
    rig.clock.advance(5 * 60_000);
    const store = rig.tv.app.vault.store;
    const spy = vi.spyOn(store, 'updateConnection').mockRejectedValue(new Error('SQLITE_FULL: disk full'));
    try {
      const r = await call('github.createIssue', { owner: 'octocat', repo: 'triage', title: 'Disk full' });
      expect(r.isError).toBeFalsy();
      expect(sc(r)).toMatchObject({ status: 'ok', number: issues + 1 });
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(rig.github.issues('octocat', 'triage')).toHaveLength(issues + 1);
    expect(rig.tv.logs.some((l) => l.includes('SQLITE_FULL'))).toBe(true);
  });

  it('reports a created issue as done when GitHub’s 201 lacks a field it documents', async () => {
    rig.github.failNext(CREATE, { reply: { status: 201, body: { id: 99, number: 42 } } });
    const r = await call('github.createIssue', { owner: 'octocat', repo: 'triage', title: 'Thin answer' });
    expect(r.isError).toBeFalsy();
    expect(sc(r)).toMatchObject({ status: 'ok', number: 42, id: 99, repository: 'octocat/triage' });
    expect(sc(r).message ?? '').not.toMatch(/may or may not/);
  });
});
