import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import type { Reply } from './http.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * Jira Cloud behind Atlassian's 3LO: rotating refresh tokens with a 10-minute reuse window (reuse after it
 * revokes the grant), token errors as **403** `invalid_grant`, `accessible-resources` naming the site's cloud
 * id, and the REST API under `/ex/jira/<cloudId>` (another cloud id: 404). A write without
 * `write:jira-work` answers 401 "scope does not match". JQL: `project = KEY` and `text ~ "words"`.
 */

export interface JiraIssue {
  id: string;
  key: string;
  project: string;
  summary: string;
  description: unknown;
  status: string;
  labels: string[];
  comments: unknown[];
}

const WORKFLOW: Record<string, { id: string; name: string; to: string }[]> = {
  'To Do': [{ id: '21', name: 'Start work', to: 'In Progress' }],
  'In Progress': [
    { id: '31', name: 'Done', to: 'Done' },
    { id: '11', name: 'Stop work', to: 'To Do' },
  ],
  Done: [{ id: '41', name: 'Reopen', to: 'To Do' }],
};

export interface JiraFake extends CatalogFake {
  cloudId: string;
  issues(): JiraIssue[];
}

export async function startJiraFake(o: { now?: () => number; projects?: string[] } = {}): Promise<JiraFake> {
  const now = o.now ?? Date.now;
  const cloudId = '11111111-2222-4333-8444-555555555555';
  const projects = new Set(o.projects ?? ['OPS']);
  const issues: JiraIssue[] = [];
  const oauth = createOAuthFake({
    now,
    prefix: 'atl-',
    clientAuth: 'post',
    authorizePath: '/authorize',
    accessTtl: 3600,
    refresh: true,
    rotate: true,
    reuseGraceMs: 10 * 60_000,
    grantErrorStatus: 403,
  });
  const base = '^/ex/jira/(?<cloud>[^/]+)/rest/api/3';
  const api =
    (
      fn: (
        req: Parameters<Parameters<typeof startCatalogFake>[0]['routes'][0]['run']>[0],
        p: Record<string, string>,
        scopes: Set<string>,
      ) => Reply,
      write = false,
    ) =>
    (req: Parameters<typeof fn>[0], p: Record<string, string>, who: { scopes: Set<string> }): Reply => {
      if (p['cloud'] !== cloudId) return { status: 404, body: { errorMessages: ['Site not found'] } };
      if (write && !who.scopes.has('write:jira-work'))
        return { status: 401, body: { code: 401, message: 'Unauthorized; scope does not match' } };
      return fn(req, p, who.scopes);
    };
  const find = (key: string | undefined) => issues.find((i) => i.key === key);
  const notFound: Reply = {
    status: 404,
    body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
  };

  const fake = await startCatalogFake({
    oauth,
    unauthorized: () => ({ status: 401, body: { code: 401, message: 'Unauthorized' } }),
    rateLimited: (s) => ({
      status: 429,
      headers: { 'retry-after': String(s) },
      body: { errorMessages: ['Rate limit exceeded'] },
    }),
    routes: [
      {
        method: 'GET',
        pattern: /^\/oauth\/token\/accessible-resources$/,
        key: 'GET /accessible-resources',
        run: () => ({
          status: 200,
          body: [
            {
              id: cloudId,
              name: 'acme',
              url: 'https://acme.atlassian.net',
              scopes: ['read:jira-work', 'write:jira-work'],
              avatarUrl: '',
            },
          ],
        }),
      },
      {
        method: 'GET',
        pattern: new RegExp(`${base}/myself$`),
        key: 'GET /myself',
        run: api(() => ({
          status: 200,
          body: {
            accountId: '5b10ac8d82e05b22cc7d4ef5',
            displayName: 'Ann',
            emailAddress: 'ann@example.com',
          },
        })),
      },
      {
        method: 'POST',
        pattern: new RegExp(`${base}/search/jql$`),
        key: 'POST /search/jql',
        run: api((req) => {
          const jql = String((req.json as { jql?: string }).jql ?? '');
          const project = /project\s*=\s*"?(\w+)"?/i.exec(jql)?.[1];
          const text = /text\s*~\s*"([^"]+)"/i.exec(jql)?.[1]?.toLowerCase();
          if (/^\s*$|\bORDER BY\s*$/i.test(jql))
            return { status: 400, body: { errorMessages: ['Error in the JQL Query'], errors: {} } };
          const hits = issues.filter(
            (i) => (!project || i.project === project) && (!text || i.summary.toLowerCase().includes(text)),
          );
          return {
            status: 200,
            body: {
              isLast: true,
              issues: hits.map((i) => ({
                id: i.id,
                key: i.key,
                fields: { summary: i.summary, status: { name: i.status }, issuetype: { name: 'Task' } },
              })),
            },
          };
        }),
      },
      {
        method: 'POST',
        pattern: new RegExp(`${base}/issue$`),
        key: 'POST /issue',
        run: api((req) => {
          const f = (req.json as { fields?: Record<string, any> }).fields ?? {};
          const key = f['project']?.key;
          if (!projects.has(key))
            return {
              status: 400,
              body: { errorMessages: [], errors: { project: 'valid project is required' } },
            };
          if (f['description'] !== undefined && f['description']?.type !== 'doc')
            return {
              status: 400,
              body: {
                errorMessages: [],
                errors: { description: 'Operation value must be an Atlassian Document' },
              },
            };
          const n = issues.filter((i) => i.project === key).length + 1;
          const issue: JiraIssue = {
            id: String(10_000 + issues.length),
            key: `${key}-${n}`,
            project: key,
            summary: f['summary'],
            description: f['description'],
            status: 'To Do',
            labels: f['labels'] ?? [],
            comments: [],
          };
          issues.push(issue);
          return {
            status: 201,
            body: {
              id: issue.id,
              key: issue.key,
              self: `https://api.atlassian.com/ex/jira/${cloudId}/rest/api/3/issue/${issue.id}`,
            },
          };
        }, true),
      },
      {
        method: 'POST',
        pattern: new RegExp(`${base}/issue/(?<key>[A-Z0-9_]+-\\d+)/comment$`),
        key: 'POST /issue/{key}/comment',
        run: api((req, p) => {
          const i = find(p['key']);
          if (!i) return notFound;
          i.comments.push((req.json as { body?: unknown }).body);
          return { status: 201, body: { id: String(20_000 + i.comments.length) } };
        }, true),
      },
      {
        method: 'GET',
        pattern: new RegExp(`${base}/issue/(?<key>[A-Z0-9_]+-\\d+)/transitions$`),
        key: 'GET /issue/{key}/transitions',
        run: api((_req, p) => {
          const i = find(p['key']);
          if (!i) return notFound;
          return {
            status: 200,
            body: {
              transitions: (WORKFLOW[i.status] ?? []).map((t) => ({
                id: t.id,
                name: t.name,
                to: { name: t.to },
              })),
            },
          };
        }),
      },
      {
        method: 'POST',
        pattern: new RegExp(`${base}/issue/(?<key>[A-Z0-9_]+-\\d+)/transitions$`),
        key: 'POST /issue/{key}/transitions',
        run: api((req, p) => {
          const i = find(p['key']);
          if (!i) return notFound;
          const id = (req.json as { transition?: { id?: string } }).transition?.id;
          const t = (WORKFLOW[i.status] ?? []).find((x) => x.id === id);
          if (!t) return { status: 400, body: { errorMessages: ['Transition id is not valid'], errors: {} } };
          i.status = t.to;
          return { status: 204 };
        }, true),
      },
    ],
  });
  return { ...fake, cloudId, issues: () => issues };
}
