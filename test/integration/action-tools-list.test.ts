import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startToolvault } from '../support/toolvault.js';

/** tools/list as an agent sees the action tools: names, titles, deliberate annotations, described schemas. */

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };

const EXPECTED: Record<string, typeof READ> = {
  slack_postMessage: WRITE,
  slack_listChannels: READ,
  slack_readMessages: READ,
  github_createIssue: WRITE,
  github_getIssue: READ,
  github_searchIssues: READ,
  github_addComment: WRITE,
  notion_search: READ,
  notion_readPage: READ,
  notion_createPage: WRITE,
  linear_searchIssues: READ,
  linear_createIssue: WRITE,
  linear_addComment: WRITE,
  jira_searchIssues: READ,
  jira_createIssue: WRITE,
  jira_addComment: WRITE,
  jira_transitionIssue: WRITE,
  hubspot_searchContacts: READ,
  hubspot_createNote: WRITE,
  salesforce_query: READ,
  salesforce_createRecord: WRITE,
  salesforce_updateRecord: { ...WRITE, destructiveHint: true, idempotentHint: true },
  zendesk_searchTickets: READ,
  zendesk_createTicket: WRITE,
  zendesk_addComment: WRITE,
};

describe('the action tools in tools/list', () => {
  let tv: Harness;
  beforeAll(async () => {
    tv = await startToolvault();
  });
  afterAll(async () => {
    await tv?.close();
  });

  it('lists each with a title, its annotations, and object schemas whose every field is described', async () => {
    const { tools } = await tv.client.listTools();
    for (const [name, annotations] of Object.entries(EXPECTED)) {
      const t = tools.find((x) => x.name === name);
      expect(t, name).toBeDefined();
      expect(t!.title).toBeTruthy();
      expect(t!.description!.length).toBeGreaterThan(80);
      expect(t!.annotations).toMatchObject(annotations);
      expect(t!.inputSchema.type).toBe('object');
      const props = Object.entries(t!.inputSchema.properties ?? {}) as [string, { description?: string }][];
      expect(props.length).toBeGreaterThan(0);
      for (const [field, schema] of props) expect(schema.description, `${name}.${field}`).toBeTruthy();
      expect(t!.outputSchema?.type).toBe('object');
      expect(Object.keys(t!.outputSchema?.properties ?? {})).toEqual(
        expect.arrayContaining([
          'status',
          'reason',
          'authUrl',
          'authId',
          'kind',
          'retryAfterSeconds',
          'message',
        ]),
      );
      expect(t!.outputSchema?.required).toEqual(['status']);
    }
  });

  it('names the idempotency key in every write that honours one, and nowhere else', async () => {
    const { tools } = await tv.client.listTools();
    const withKey = tools.filter((t) => 'idempotencyKey' in (t.inputSchema.properties ?? {}));
    // Every catalog write takes one (the pipeline honours it for any tool that declares a write).
    expect(withKey.map((t) => t.name).sort()).toEqual(
      [
        'github_createIssue',
        ...Object.entries(EXPECTED)
          .filter(([n, a]) => !n.startsWith('slack_') && !n.startsWith('github_') && !a.readOnlyHint)
          .map(([n]) => n),
      ].sort(),
    );
  });
});
