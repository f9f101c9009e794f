import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import type { Reply } from './http.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * Linear's GraphQL API: one POST /graphql, operations told apart by their root field. Errors come in the body
 * with `extensions.code` — with HTTP 200 for a bad input or a missing entity, 400 for authentication and rate
 * limits (plus `X-RateLimit-Requests-Reset`, epoch milliseconds) — as Linear answers. 24-hour access tokens
 * with rotating refresh tokens (since 2026-04-01).
 */

export interface LinearIssue {
  id: string;
  identifier: string;
  title: string;
  description: string | null;
  teamKey: string;
  comments: string[];
}

export interface LinearFake extends CatalogFake {
  issues(): LinearIssue[];
}

const gqlError = (
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Reply => ({
  status,
  headers,
  body: {
    data: null,
    errors: [
      {
        message,
        extensions: {
          code,
          type: code.toLowerCase().replace(/_/g, ' '),
          userPresentableMessage: message,
          ...extra,
        },
      },
    ],
  },
});

export async function startLinearFake(o: { now?: () => number; teams?: string[] } = {}): Promise<LinearFake> {
  const now = o.now ?? Date.now;
  const teams = (o.teams ?? ['ENG']).map((key, i) => ({ id: `team-${i + 1}`, key }));
  const issues: LinearIssue[] = [];
  const oauth = createOAuthFake({
    now,
    prefix: 'lin-',
    clientAuth: 'post',
    accessTtl: 86_399,
    refresh: true,
    rotate: true,
  });
  const node = (i: LinearIssue) => ({
    id: i.id,
    identifier: i.identifier,
    title: i.title,
    url: `https://linear.app/acme/issue/${i.identifier}`,
    priority: 0,
    state: { name: 'Todo' },
    assignee: null,
    team: { key: i.teamKey },
  });
  const byRef = (ref: unknown) => issues.find((i) => i.id === ref || i.identifier === ref);

  const fake = await startCatalogFake({
    oauth,
    unauthorized: () => gqlError(400, 'AUTHENTICATION_ERROR', 'Authentication required, not authenticated'),
    rateLimited: (s) =>
      gqlError(
        400,
        'RATELIMITED',
        'Rate limit exceeded',
        {},
        { 'x-ratelimit-requests-reset': String(now() + s * 1000) },
      ),
    routes: [
      {
        method: 'POST',
        pattern: /^\/graphql$/,
        key: 'POST /graphql',
        run: (req, _p, who) => {
          const { query = '', variables = {} } = (req.json ?? {}) as {
            query?: string;
            variables?: Record<string, any>;
          };
          const writes = /\bmutation\b/.test(query);
          if (writes && !who.scopes.has('write'))
            return gqlError(200, 'FORBIDDEN', 'Invalid scope: `write` required');
          if (query.includes('viewer'))
            return {
              status: 200,
              body: { data: { viewer: { id: 'user-ann', name: 'Ann', email: 'ann@example.com' } } },
            };
          if (query.includes('searchIssues')) {
            const term = String(variables['term'] ?? '').toLowerCase();
            const hits = issues.filter((i) => i.title.toLowerCase().includes(term));
            return {
              status: 200,
              body: {
                data: {
                  searchIssues: { nodes: hits.map(node), pageInfo: { hasNextPage: false, endCursor: null } },
                },
              },
            };
          }
          if (query.includes('teams(')) {
            const key = variables['key'];
            return { status: 200, body: { data: { teams: { nodes: teams.filter((t) => t.key === key) } } } };
          }
          if (query.includes('issueCreate')) {
            const input = variables['input'] ?? {};
            const team = teams.find((t) => t.id === input.teamId);
            if (!team)
              return gqlError(200, 'INVALID_INPUT', 'Argument Validation Error: teamId must be a valid team');
            if (!input.title)
              return gqlError(200, 'INVALID_INPUT', 'Argument Validation Error: title should not be empty');
            const n = issues.filter((i) => i.teamKey === team.key).length + 1;
            const issue: LinearIssue = {
              id: `issue-${issues.length + 1}`,
              identifier: `${team.key}-${n}`,
              title: input.title,
              description: input.description ?? null,
              teamKey: team.key,
              comments: [],
            };
            issues.push(issue);
            return { status: 200, body: { data: { issueCreate: { success: true, issue: node(issue) } } } };
          }
          if (query.includes('commentCreate')) {
            const input = variables['input'] ?? {};
            const issue = byRef(input.issueId);
            if (!issue) return gqlError(200, 'ENTITY_NOT_FOUND', 'Entity not found: Issue');
            issue.comments.push(String(input.body));
            return {
              status: 200,
              body: {
                data: {
                  commentCreate: {
                    success: true,
                    comment: {
                      id: `comment-${issue.comments.length}`,
                      url: `https://linear.app/acme/issue/${issue.identifier}#comment`,
                    },
                  },
                },
              },
            };
          }
          return gqlError(400, 'GRAPHQL_VALIDATION_FAILED', 'Cannot query field');
        },
      },
    ],
  });
  return { ...fake, issues: () => issues };
}
