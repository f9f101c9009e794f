import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubspotFake, startHubspotFake } from '../fakes/hubspot.js';
import { type JiraFake, startJiraFake } from '../fakes/jira.js';
import { type LinearFake, startLinearFake } from '../fakes/linear.js';
import { startZendeskFake, type ZendeskFake } from '../fakes/zendesk.js';
import { completeConsent } from '../support/browser.js';
import { hubspotConfig, jiraConfig, linearConfig, zendeskConfig } from '../support/catalog-config.js';
import { freePort, vaultBytes } from '../support/cli.js';
import { type HttpServerProcess, spawnHttpServer } from '../support/cli-server.js';

/**
 * Seed 003's support triage agent over streamable HTTP against the built CLI: find new urgent Zendesk tickets,
 * file each as a Jira issue and a Linear issue (keyed by the ticket, so a second pass files nothing twice),
 * note both on the requester's HubSpot contact, and leave an internal note on the ticket. No provider is
 * connected at first: each first call answers auth_required, and the "user" opens the link.
 */

const sc = (r: CallToolResult) => (r.structuredContent ?? {}) as Record<string, any>;

describe('the support triage agent over HTTP', () => {
  let zd: ZendeskFake;
  let jira: JiraFake;
  let linear: LinearFake;
  let hs: HubspotFake;
  let tv: HttpServerProcess;
  let client: Client;
  const results: CallToolResult[] = [];
  const consents: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'toolvault-triage-http-'));

  /** A tool call as the agent makes it; on auth_required the person opens the link and the agent waits. */
  const call = async (name: string, args: Record<string, unknown>): Promise<Record<string, any>> => {
    let r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    results.push(r);
    if (sc(r).status === 'auth_required') {
      consents.push(sc(r).provider);
      const page = await completeConsent(sc(r).authUrl);
      expect(page.html).toContain('is connected');
      const done = (await client.callTool({
        name: 'auth_status',
        arguments: { authId: sc(r).authId, waitSeconds: 10 },
      })) as CallToolResult;
      expect(sc(done).consent.state).toBe('completed');
      r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      results.push(r);
    }
    expect(sc(r).status, `${name}: ${JSON.stringify(sc(r))}`).toBe('ok');
    return sc(r);
  };

  /** One pass of the agent over open tickets mentioning "login". */
  const triage = async () => {
    const { tickets } = await call('zendesk_searchTickets', { query: 'status:open login' });
    for (const t of tickets as {
      id: number;
      subject: string;
      description?: string;
      requesterEmail?: string;
    }[]) {
      const key = `zendesk-${t.id}`;
      const body = `From Zendesk ticket #${t.id}:\n\n${t.description ?? ''}`;
      const j = await call('jira_createIssue', {
        projectKey: 'OPS',
        summary: t.subject,
        description: body,
        labels: ['zendesk'],
        idempotencyKey: key,
      });
      const l = await call('linear_createIssue', {
        teamKey: 'ENG',
        title: t.subject,
        description: `${body}\n\nJira: ${j.key}`,
        priority: 2,
        idempotencyKey: key,
      });
      if (j.idempotentReplay && l.idempotentReplay) continue;
      const { contacts } = await call('hubspot_searchContacts', { query: t.requesterEmail ?? '' });
      const note = `Ticket #${t.id} "${t.subject}" filed as Jira ${j.key} and Linear ${l.identifier}.`;
      if (contacts[0])
        await call('hubspot_createNote', { contactId: contacts[0].id, body: note, idempotencyKey: key });
      await call('zendesk_addComment', { ticketId: t.id, body: note, idempotencyKey: key });
    }
  };

  beforeAll(async () => {
    const port = await freePort();
    [zd, jira, linear, hs] = await Promise.all([
      startZendeskFake(),
      startJiraFake(),
      startLinearFake(),
      startHubspotFake(),
    ]);
    const ann = zd.addUser('ann@example.com', 'Ann');
    zd.addTicket({
      subject: 'Login fails after password reset',
      description: 'Since Tuesday I cannot log in.',
      requesterId: ann,
      priority: 'urgent',
    });
    hs.addContact({ email: 'ann@example.com', firstname: 'Ann', lastname: 'Lee' });
    const configFile = join(home, 'toolvault.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        demo: false,
        providers: {
          zendesk: zendeskConfig(zd),
          jira: jiraConfig(jira),
          linear: linearConfig(linear),
          hubspot: hubspotConfig(hs),
        },
      }),
    );
    tv = await spawnHttpServer(port, {
      TOOLVAULT_HOME: home,
      TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      TOOLVAULT_CONFIG: configFile,
    });
    client = new Client({ name: 'triage-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(tv.mcpUrl)));
    await client.listTools();
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await tv?.stop();
    await Promise.allSettled([zd?.close(), jira?.close(), linear?.close(), hs?.close()]);
  });

  it('lists the request tool of each configured provider beside the hand-written ones', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'zendesk_request',
        'jira_request',
        'linear_request',
        'hubspot_request',
        'jira_transitionIssue',
      ]),
    );
  });

  it('files a Zendesk ticket into Jira and Linear and notes it on the HubSpot contact, connecting each on the way', async () => {
    await triage();
    expect(consents).toEqual(['zendesk', 'jira', 'linear', 'hubspot']);
    expect(jira.issues()).toEqual([
      expect.objectContaining({
        key: 'OPS-1',
        summary: 'Login fails after password reset',
        labels: ['zendesk'],
      }),
    ]);
    expect(linear.issues()).toEqual([
      expect.objectContaining({ identifier: 'ENG-1', description: expect.stringContaining('Jira: OPS-1') }),
    ]);
    expect(hs.notes()).toEqual([
      expect.objectContaining({ body: expect.stringContaining('Jira OPS-1 and Linear ENG-1') }),
    ]);
    const ticket = zd.tickets()[0]!;
    expect(ticket.comments.at(-1)).toEqual({ body: expect.stringContaining('OPS-1'), public: false });
  });

  it('files nothing twice when the same ticket is seen again', async () => {
    await triage();
    expect(jira.issues()).toHaveLength(1);
    expect(linear.issues()).toHaveLength(1);
    expect(hs.notes()).toHaveLength(1);
    expect(zd.tickets()[0]!.comments.filter((c) => !c.public)).toHaveLength(1);
  });

  it('leaks no issued token into a tool result, the server log or the vault file', async () => {
    const tokens = [zd, jira, linear, hs].flatMap((f) => f.oauth.book.all().map((t) => t.value));
    expect(tokens.length).toBeGreaterThanOrEqual(8);
    const seen = JSON.stringify(results);
    const logs = tv.stderr();
    const vault = vaultBytes(home);
    for (const t of tokens) {
      expect(seen.includes(t)).toBe(false);
      expect(logs.includes(t)).toBe(false);
      expect(vault.includes(t)).toBe(false);
    }
  });
});
