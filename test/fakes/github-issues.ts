import type { GitHubComment, GitHubGrant, GitHubIssue, GitHubRepo, GitHubState } from './github-state.js';
import type { IssuedToken } from './grants.js';
import type { FakeRequest, Reply } from './http.js';

/** Who is calling a REST route, once the token has passed (null login: unauthenticated). */
export interface ApiCall {
  state: GitHubState;
  req: FakeRequest;
  token: IssuedToken<GitHubGrant> | null;
  path: Record<string, string>;
  /** The parsed JSON body (`{}` when none was sent). */
  body: Record<string, unknown>;
}

const DOCS = 'https://docs.github.com/rest';

/** GitHub's basic-error body; `status` is a string on today's API. */
export function ghError(
  status: number,
  message: string,
  doc = DOCS,
  extra: Record<string, unknown> = {},
): Reply {
  return { status, body: { message, documentation_url: doc, ...extra, status: String(status) } };
}

const notFound = (): Reply => ghError(404, 'Not Found', `${DOCS}/issues/issues`);

function canSee(call: ApiCall, repo: GitHubRepo): boolean {
  if (!repo.private) return true;
  const login = call.token?.grant.subject;
  return login !== undefined && (login === repo.owner || repo.visibleTo.has(login));
}

/**
 * Repo access in GitHub's order: invisible → 404; missing scope → OAuth App 404 (GitHub hides what a
 * token may not touch; the X-Accepted-OAuth-Scopes header tells why) or GitHub App 403 "Resource not
 * accessible by integration"; issues off → 410.
 */
function reach(call: ApiCall, owner: string, name: string, write: boolean): GitHubRepo | Reply {
  const repo = call.state.repo(owner, name);
  if (!repo || !canSee(call, repo)) return notFound();
  const token = call.token;
  const app = call.state.opts.mode === 'github-app';
  if (token && app && !repo.appInstalled) return repo.private ? notFound() : integrationDenied(write);
  if (token && (write || repo.private)) {
    const scopes = token.grant.scopes;
    if (app && !scopes.has('issues')) return integrationDenied(write);
    const enough = scopes.has('repo') || (!repo.private && scopes.has('public_repo'));
    if (!app && !enough) return notFound();
  }
  if (!repo.hasIssues) return ghError(410, 'Issues are disabled for this repo', `${DOCS}/issues/issues`);
  return repo;
}

function integrationDenied(write: boolean): Reply {
  const reply = ghError(403, 'Resource not accessible by integration', `${DOCS}/issues/issues`);
  return { ...reply, headers: { 'x-accepted-github-permissions': `issues=${write ? 'write' : 'read'}` } };
}

function repoUrl(state: GitHubState, repo: GitHubRepo): string {
  return `${state.apiUrl}/repos/${repo.owner}/${repo.name}`;
}

function findIssue(repo: GitHubRepo, raw: string | undefined): GitHubIssue | undefined {
  return repo.issues.find((i) => String(i.number) === raw);
}

function association(repo: GitHubRepo, login: string): 'OWNER' | 'NONE' {
  return repo.owner === login ? 'OWNER' : 'NONE';
}

/** `POST /repos/{owner}/{repo}/issues` → 201 with the issue and a Location header. */
export function createIssue(call: ApiCall): Reply {
  const repo = reach(call, call.path['owner'] ?? '', call.path['repo'] ?? '', true);
  if ('status' in repo) return repo;
  const { state } = call;
  const input = call.body;
  const title = input['title'];
  if (typeof title !== 'string' && typeof title !== 'number') {
    return ghError(422, 'Validation Failed', `${DOCS}/issues/issues#create-an-issue`, {
      errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }],
    });
  }
  const labels = input['labels'] ?? [];
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
    return ghError(422, 'Validation Failed', `${DOCS}/issues/issues#create-an-issue`, {
      errors: [{ resource: 'Label', code: 'invalid', field: 'name', value: labels }],
    });
  }
  const login = call.token?.grant.subject ?? '';
  const number = repo.issues.length + 1;
  const id = state.nextId();
  const url = `${repoUrl(state, repo)}/issues/${number}`;
  const now = state.isoNow();
  const issue: GitHubIssue = {
    id,
    node_id: Buffer.from(`I_kw${id}`).toString('base64url'),
    url,
    repository_url: repoUrl(state, repo),
    comments_url: `${url}/comments`,
    html_url: `${state.opts.htmlBase}/${repo.owner}/${repo.name}/issues/${number}`,
    number,
    state: 'open',
    title: String(title),
    body: typeof input['body'] === 'string' ? input['body'] : null,
    user: state.user(login),
    labels: (labels as string[]).map((name) => {
      const labelId = state.nextId();
      return {
        id: labelId,
        node_id: `LA_${labelId}`,
        name,
        color: 'ededed',
        default: false,
        description: null,
      };
    }),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: 0,
    created_at: now,
    updated_at: now,
    closed_at: null,
    author_association: association(repo, login),
  };
  repo.issues.push(issue);
  return { status: 201, headers: { location: url }, body: issue };
}

/** `GET /repos/{owner}/{repo}/issues/{issue_number}`. */
export function getIssue(call: ApiCall): Reply {
  const repo = reach(call, call.path['owner'] ?? '', call.path['repo'] ?? '', false);
  if ('status' in repo) return repo;
  const issue = findIssue(repo, call.path['issue_number']);
  return issue ? { status: 200, body: issue } : notFound();
}

/** `POST /repos/{owner}/{repo}/issues/{issue_number}/comments` → 201. */
export function createComment(call: ApiCall): Reply {
  const repo = reach(call, call.path['owner'] ?? '', call.path['repo'] ?? '', true);
  if ('status' in repo) return repo;
  const issue = findIssue(repo, call.path['issue_number']);
  if (!issue) return notFound();
  const body = call.body['body'];
  if (typeof body !== 'string' || body === '') {
    return ghError(422, 'Validation Failed', `${DOCS}/issues/comments#create-an-issue-comment`, {
      errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
    });
  }
  const { state } = call;
  const login = call.token?.grant.subject ?? '';
  const id = state.nextId();
  const now = state.isoNow();
  const comment: GitHubComment = {
    id,
    node_id: `IC_${id}`,
    url: `${repoUrl(state, repo)}/issues/comments/${id}`,
    html_url: `${issue.html_url}#issuecomment-${id}`,
    issue_url: issue.url,
    body,
    user: state.user(login),
    created_at: now,
    updated_at: now,
    author_association: association(repo, login),
  };
  const list = repo.comments.get(issue.number) ?? [];
  list.push(comment);
  repo.comments.set(issue.number, list);
  issue.comments += 1;
  return { status: 201, headers: { location: comment.url }, body: comment };
}

/** A search query's qualifiers; free words must all appear in title or body. */
function parseQuery(q: string) {
  const filters = {
    repo: null as string | null,
    state: null as string | null,
    author: null as string | null,
  };
  const labels: string[] = [];
  const words: string[] = [];
  for (const term of q.split(/\s+/).filter(Boolean)) {
    const [key = '', value = ''] = term.includes(':') ? term.split(/:(.*)/s) : ['', term];
    if (key === 'repo') filters.repo = value.toLowerCase();
    else if (key === 'is' && (value === 'open' || value === 'closed')) filters.state = value;
    else if (key === 'state') filters.state = value;
    else if (key === 'author') filters.author = value;
    else if (key === 'label') labels.push(value);
    else if (key === 'is' || key === 'type' || key === 'in')
      continue; // is:issue, type:issue, in:title
    else words.push(term.toLowerCase());
  }
  return { ...filters, labels, words };
}

/** `GET /search/issues`: simple matching, `per_page`/`page`, and a Link header like GitHub's. */
export function searchIssues(call: ApiCall): Reply {
  const { state, req } = call;
  const q = req.params['q'];
  if (!q) {
    return ghError(422, 'Validation Failed', `${DOCS}/search/search#search-issues-and-pull-requests`, {
      errors: [{ resource: 'Search', field: 'q', code: 'missing' }],
    });
  }
  const f = parseQuery(q);
  const hits: GitHubIssue[] = [];
  for (const repo of state.repos.values()) {
    if (f.repo !== null && `${repo.owner}/${repo.name}`.toLowerCase() !== f.repo) continue;
    // Search silently leaves out what the caller cannot read instead of failing.
    const reachable = reach(call, repo.owner, repo.name, false);
    if ('status' in reachable) continue;
    for (const issue of repo.issues) {
      const text = `${issue.title}\n${issue.body ?? ''}`.toLowerCase();
      if (f.state !== null && issue.state !== f.state) continue;
      if (f.author !== null && issue.user.login !== f.author) continue;
      if (!f.labels.every((l) => issue.labels.some((x) => x.name === l))) continue;
      if (!f.words.every((w) => text.includes(w))) continue;
      hits.push(issue);
    }
  }
  hits.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
  const perPage = Math.min(Math.max(Number(req.params['per_page'] ?? 30) || 30, 1), 100);
  const pageNo = Math.max(Number(req.params['page'] ?? 1) || 1, 1);
  const lastPage = Math.max(Math.ceil(hits.length / perPage), 1);
  const items = hits.slice((pageNo - 1) * perPage, pageNo * perPage).map((i) => ({ ...i, score: 1 }));
  const link = (n: number, rel: string) => {
    const u = new URL(`${state.apiUrl}/search/issues`);
    u.searchParams.set('q', q);
    if (req.params['per_page']) u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(n));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNo > 1) links.push(link(pageNo - 1, 'prev'));
  if (pageNo < lastPage) links.push(link(pageNo + 1, 'next'), link(lastPage, 'last'));
  if (pageNo > 1) links.push(link(1, 'first'));
  return {
    status: 200,
    headers: links.length > 0 ? { link: links.join(', ') } : {},
    body: { total_count: hits.length, incomplete_results: false, items },
  };
}
