import { CodeBook, type Grant, TokenBook } from './grants.js';

/** GitHub App user-to-server tokens expire and rotate; OAuth App tokens live until revoked. */
export type GitHubMode = 'github-app' | 'oauth-app';

/** A user as GitHub's simple-user schema shows it. */
export interface GitHubUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  url: string;
  html_url: string;
  type: 'User';
  site_admin: false;
}

/** An issue as the REST API returns it (the subset of the `issue` schema toolvault may rely on). */
export interface GitHubIssue {
  id: number;
  node_id: string;
  url: string;
  repository_url: string;
  comments_url: string;
  html_url: string;
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  user: GitHubUser;
  labels: { id: number; node_id: string; name: string; color: string; default: boolean; description: null }[];
  assignee: null;
  assignees: [];
  milestone: null;
  locked: boolean;
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  author_association: 'OWNER' | 'NONE';
}

/** An issue comment as the REST API returns it. */
export interface GitHubComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  author_association: 'OWNER' | 'NONE';
}

/** A repository seeded by a test. Private repos are visible to their owner and `visibleTo` only. */
export interface GitHubRepo {
  owner: string;
  name: string;
  private: boolean;
  visibleTo: Set<string>;
  /** Issues disabled answers 410 Gone. */
  hasIssues: boolean;
  /** GitHub App mode: a repo the app is not installed on is invisible to user-to-server tokens. */
  appInstalled: boolean;
  issues: GitHubIssue[];
  comments: Map<number, GitHubComment[]>;
}

/** One user's authorization of the app. `scopes` are OAuth scopes, or App permission names. */
export interface GitHubGrant extends Grant {
  userId: number;
}

/** Options for {@link startGitHubFake}. */
export interface GitHubFakeOptions {
  mode?: GitHubMode;
  clientId?: string;
  clientSecret?: string;
  /** Registered callback URLs; when omitted any redirect_uri is accepted. */
  redirectUris?: string[];
  /** Clock in ms for code, token and rate-limit windows. */
  now?: () => number;
  /** GitHub App user access token lifetime: 8 h. */
  accessTtlSeconds?: number;
  /** GitHub App refresh token lifetime: 6 months (15897600 s). */
  refreshTtlSeconds?: number;
  /** GitHub App permissions a user-to-server token carries (dropScope removes from these). */
  appPermissions?: string[];
  /** Primary limits per hour (core) and per minute (search) for authenticated callers. */
  coreLimit?: number;
  searchLimit?: number;
  retryAfterSeconds?: number;
  htmlBase?: string;
}

type Resolved = Required<Omit<GitHubFakeOptions, 'redirectUris'>> & { redirectUris: string[] | null };

/** State shared by the OAuth and REST halves of the GitHub fake. */
export class GitHubState {
  readonly opts: Resolved;
  readonly tokens: TokenBook<GitHubGrant>;
  readonly codes: CodeBook<GitHubGrant>;
  readonly grants: GitHubGrant[] = [];
  readonly users = new Map<string, number>([['octocat', 583231]]);
  readonly repos = new Map<string, GitHubRepo>();
  readonly tokenRequests: Record<string, number> = {};
  readonly buckets = new Map<string, { resetAt: number; used: number }>();
  consent = { login: 'octocat', deny: false };
  apiUrl = '';
  #ids = 1_000_000;

  constructor(options: GitHubFakeOptions) {
    this.opts = {
      mode: options.mode ?? 'github-app',
      clientId: options.clientId ?? 'Iv1.fakeclientid0001',
      clientSecret: options.clientSecret ?? 'github-client-secret',
      redirectUris: options.redirectUris ?? null,
      now: options.now ?? Date.now,
      accessTtlSeconds: options.accessTtlSeconds ?? 28_800,
      refreshTtlSeconds: options.refreshTtlSeconds ?? 15_897_600,
      appPermissions: options.appPermissions ?? ['issues', 'metadata'],
      coreLimit: options.coreLimit ?? 5000,
      searchLimit: options.searchLimit ?? 30,
      retryAfterSeconds: options.retryAfterSeconds ?? 60,
      htmlBase: options.htmlBase ?? 'https://github.com',
    };
    this.tokens = new TokenBook(this.opts.now);
    this.codes = new CodeBook(this.opts.now);
  }

  nextId(): number {
    this.#ids += 1;
    return this.#ids;
  }

  userId(login: string): number {
    let id = this.users.get(login);
    if (id === undefined) {
      id = this.nextId();
      this.users.set(login, id);
    }
    return id;
  }

  user(login: string): GitHubUser {
    const id = this.userId(login);
    return {
      login,
      id,
      node_id: Buffer.from(`04:User${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      url: `${this.apiUrl}/users/${login}`,
      html_url: `${this.opts.htmlBase}/${login}`,
      type: 'User',
      site_admin: false,
    };
  }

  /** Re-authorizing an app adds scopes to the user's existing authorization instead of a second one. */
  grantFor(login: string, scopes: Set<string>): GitHubGrant {
    const existing = this.grants.find((g) => g.subject === login && !g.revoked);
    if (existing) {
      for (const s of scopes) existing.scopes.add(s);
      return existing;
    }
    const grant: GitHubGrant = {
      id: this.grants.length + 1,
      subject: login,
      userId: this.userId(login),
      scopes: new Set(scopes),
      revoked: false,
    };
    this.grants.push(grant);
    return grant;
  }

  repo(owner: string, name: string): GitHubRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  countTokenRequest(grantType: string): void {
    this.tokenRequests[grantType] = (this.tokenRequests[grantType] ?? 0) + 1;
  }

  isoNow(): string {
    return new Date(this.opts.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}
