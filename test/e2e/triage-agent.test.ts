import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubFake, startGitHubFake } from '../fakes/github.js';
import { type SlackFake, startSlackFake } from '../fakes/slack.js';
import { expectFitsSchema, githubConfig, slackConfig } from '../support/action-rig.js';
import { completeConsent } from '../support/browser.js';
import { type CliServer, freePort, spawnStdio, vaultBytes } from '../support/cli.js';

/**
 * The seed article's Slack triage agent, end to end through the built CLI over stdio: read new messages in
 * #bug-reports, open a GitHub issue for each (keyed by the message ts, so a message seen twice makes no
 * duplicate), and reply in the message's thread with the issue link. Slack is connected up front; GitHub is
 * not, so the first GitHub call answers auth_required and the "user" completes consent through its link.
 */

const sc = (r: CallToolResult) => (r.structuredContent ?? {}) as Record<string, any>;
const BUGS = 'C0BUGREPORT';

describe('the triage agent over stdio', () => {
  let slack: SlackFake;
  let github: GitHubFake;
  let tv: CliServer;
  const consentsWalked: string[] = [];

  /** A tool call as the agent makes it, checked against the tool's zod output schema. */
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await tv.call(name, args);
    expectFitsSchema(name.replace('_', '.'), r);
    return r;
  };

  /** The person at the keyboard: opens the link the agent shows, then the agent waits for the consent. */
  const userApproves = async (r: CallToolResult) => {
    consentsWalked.push(sc(r).provider);
    const page = await completeConsent(sc(r).authUrl);
    expect(page.html).toContain('is connected');
    const done = sc(await call('auth_status', { authId: sc(r).authId, waitSeconds: 10 }));
    expect(done.consent.state).toBe('completed');
  };

  /** One pass of the agent. Returns the newest ts it saw, to pass as `oldest` next time. */
  const triage = async (oldest?: string): Promise<string | undefined> => {
    const read = sc(
      await call('slack_readMessages', { channel: '#bug-reports', ...(oldest ? { oldest } : {}) }),
    );
    expect(read.status).toBe('ok');
    const messages: { ts: string; text: string; user?: string }[] = [...read.messages].reverse();
    for (const m of messages) {
      const args = {
        owner: 'acme',
        repo: 'app',
        title: m.text.split('\n')[0]!.slice(0, 80),
        body: `Reported in Slack #bug-reports by <${m.user ?? 'unknown'}>:\n\n> ${m.text}`,
        labels: ['bug', 'from-slack'],
        idempotencyKey: `slack:${read.channel}:${m.ts}`,
      };
      let created = await call('github_createIssue', args);
      if (sc(created).status === 'auth_required') {
        await userApproves(created);
        created = await call('github_createIssue', args);
      }
      expect(sc(created).status).toBe('ok');
      // A replayed key means this message was handled before: its thread already has the link.
      if (sc(created).idempotentReplay) continue;
      const reply = await call('slack_postMessage', {
        channel: read.channel,
        threadTs: m.ts,
        text: `Filed as GitHub issue #${sc(created).number}: ${sc(created).url}`,
      });
      expect(sc(reply).status).toBe('ok');
    }
    return messages.at(-1)?.ts ?? oldest;
  };

  beforeAll(async () => {
    const port = await freePort();
    const redirectUris = [`http://127.0.0.1:${port}/oauth/callback`];
    slack = await startSlackFake({ redirectUris });
    github = await startGitHubFake({ redirectUris });
    slack.addChannel({ id: BUGS, name: 'bug-reports' });
    github.addRepo({ owner: 'acme', name: 'app', private: true, visibleTo: ['octocat'] });
    tv = await spawnStdio({
      port,
      env: { TOOLVAULT_DEMO: '0' },
      config: { providers: { slack: slackConfig(slack), github: githubConfig(github) } },
    });
    // With the tools listed, the SDK client validates every structuredContent against its output schema.
    await tv.client.listTools();
    const started = await call('auth_start', { provider: 'slack' });
    expect(sc(started).status).toBe('pending');
    await userApproves(started);
  });
  afterAll(async () => {
    await tv?.close();
    await Promise.allSettled([slack?.close(), github?.close()]);
  });

  const threadReplies = (ts: string) => slack.messages(BUGS).filter((m) => m.thread_ts === ts && m.ts !== ts);

  it('files an issue per new message and replies in its thread, connecting GitHub on the way', async () => {
    const reported = slack.addMessages(BUGS, [
      { text: 'Checkout button does nothing on Safari' },
      { text: 'Dark mode: unreadable grey on grey in settings' },
    ]);
    const newest = await triage();
    expect(newest).toBe(reported[1]!.ts);
    expect(consentsWalked).toEqual(['slack', 'github']);

    const issues = github.issues('acme', 'app');
    expect(issues.map((i) => i.title)).toEqual([
      'Checkout button does nothing on Safari',
      'Dark mode: unreadable grey on grey in settings',
    ]);
    expect(issues[0]!.labels.map((l) => l.name)).toEqual(['bug', 'from-slack']);
    for (const [i, m] of reported.entries()) {
      const replies = threadReplies(m.ts);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.text).toBe(`Filed as GitHub issue #${i + 1}: ${issues[i]!.html_url}`);
    }
  });

  it('makes no duplicate issue or reply when the same messages are seen again', async () => {
    await triage(); // e.g. the agent restarted and lost its place
    expect(github.issues('acme', 'app')).toHaveLength(2);
    for (const m of slack.messages(BUGS).filter((x) => x.thread_ts === undefined || x.thread_ts === x.ts))
      expect(threadReplies(m.ts)).toHaveLength(1);
  });

  it('picks up only what is new on the next pass', async () => {
    const seen = slack.messages(BUGS).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
    const [late] = slack.addMessages(BUGS, [{ text: 'Crash when uploading a 0-byte file' }]);
    expect(await triage(seen.at(-1)!.ts)).toBe(late!.ts);
    const issues = github.issues('acme', 'app');
    expect(issues).toHaveLength(3);
    expect(threadReplies(late!.ts)[0]!.text).toContain(issues[2]!.html_url);
  });

  it('leaks no issued token into a tool result, a log line or the vault file', async () => {
    const tokens = [...slack.issuedTokens(), ...github.issuedTokens()].map((t) => t.value);
    // Slack: access + refresh; GitHub App: access + refresh.
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const results = JSON.stringify(tv.results);
    const logs = tv.stderr();
    expect(logs).toContain('serving MCP over stdio');
    const vault = vaultBytes(tv.home);
    expect(vault.length).toBeGreaterThan(0);
    for (const t of tokens) {
      expect(results.includes(t)).toBe(false);
      expect(logs.includes(t)).toBe(false);
      expect(vault.includes(t)).toBe(false);
    }
    await tv.close();
    const afterExit = vaultBytes(tv.home);
    for (const t of tokens) expect(afterExit.includes(t)).toBe(false);
  });
});
