import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import type { ProviderConfig } from '../../src/app/config.js';
import { TOOLS } from '../../src/tools/registry.js';
import { type GitHubFake, type GitHubFakeOptions, startGitHubFake } from '../fakes/github.js';
import { type SlackFake, type SlackFakeOptions, startSlackFake } from '../fakes/slack.js';
import { completeConsent } from './browser.js';
import { FakeClock } from './clock.js';
import { type Harness, sc, startToolvault } from './toolvault.js';

/**
 * toolvault wired to the Slack and GitHub fakes on one fake clock, for the action-tool tests. Every result
 * is checked against its tool's output schema (the SDK client does so too, once it has listed the tools).
 */

export interface ActionRig {
  tv: Harness;
  slack: SlackFake;
  github: GitHubFake;
  clock: FakeClock;
  /** Calls a tool by its canonical name and asserts the result fits the tool's zod output schema. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Walks the consent an auth_required (or auth.start pending) result links to. */
  consent(result: CallToolResult): Promise<void>;
  connect(provider: 'slack' | 'github', scopes?: string[]): Promise<void>;
  close(): Promise<void>;
}

export function slackConfig(fake: SlackFake): ProviderConfig {
  return {
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    authorizeUrl: `${fake.url}/oauth/v2/authorize`,
    tokenUrl: `${fake.url}/api/oauth.v2.access`,
    revokeUrl: `${fake.url}/api/auth.revoke`,
    apiBaseUrl: `${fake.url}/api/`,
  };
}

export function githubConfig(fake: GitHubFake): ProviderConfig {
  return {
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    authorizeUrl: `${fake.url}/login/oauth/authorize`,
    tokenUrl: `${fake.url}/login/oauth/access_token`,
    revokeUrl: `${fake.url}/applications/{client_id}/grant`,
    apiBaseUrl: fake.url,
  };
}

/** Asserts `r` validates against the output schema of the tool with canonical name `name`. */
export function expectFitsSchema(name: string, r: CallToolResult): void {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  const parsed = tool.output.safeParse(r.structuredContent);
  expect(
    parsed.success,
    `${name} result fits its output schema: ${JSON.stringify(r.structuredContent)}`,
  ).toBe(true);
}

export async function startActionRig(
  o: { slack?: SlackFakeOptions; github?: GitHubFakeOptions } = {},
): Promise<ActionRig> {
  const clock = new FakeClock();
  const now = () => clock.now();
  const slack = await startSlackFake({ now, ...o.slack });
  const github = await startGitHubFake({ now, ...o.github });
  const tv = await startToolvault({
    clock,
    providers: { slack: slackConfig(slack), github: githubConfig(github) },
  });
  // Listing the tools makes the SDK client validate every structuredContent against its output schema.
  await tv.client.listTools();
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await tv.call(name, args);
    expectFitsSchema(name, r);
    return r;
  };
  const consent = async (r: CallToolResult) => {
    const url = sc(r)['authUrl'];
    if (typeof url !== 'string') throw new Error(`no authUrl in ${JSON.stringify(sc(r))}`);
    const page = await completeConsent(url);
    expect(page.html).toContain('is connected');
  };
  return {
    tv,
    slack,
    github,
    clock,
    call,
    consent,
    async connect(provider, scopes) {
      const r = await call('auth.start', { provider, ...(scopes ? { scopes } : {}) });
      expect(sc(r).status).toBe('pending');
      await consent(r);
    },
    async close() {
      await tv.close();
      await Promise.allSettled([slack.close(), github.close()]);
    },
  };
}
