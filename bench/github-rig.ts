import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type GitHubFake, type GitHubFakeOptions, startGitHubFake } from '../test/fakes/github.js';
import { githubConfig } from '../test/support/action-rig.js';
import { completeConsent } from '../test/support/browser.js';
import { spawnNode } from './processes.js';

/**
 * The GitHub fake (GitHub App mode: 8 h tokens, rotating refresh) with limits raised for load, one repository
 * to write issues into, and a toolvault home (config file and master key) pointing at it.
 */

export const OWNER = 'bench';
export const REPO_NAME = 'load';

export interface GitHubRig {
  github: GitHubFake;
  home: string;
  configFile: string;
  masterKey: string;
  /** The environment a toolvault process needs to use this home and this fake. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Creates an API key for `user` with the CLI (`toolvault apikeys create`), as an operator does. */
  createApiKey(user: string): Promise<string>;
  /** The newest usable access token the fake issued (for the bare baseline's hard-coded token). */
  liveAccessToken(): string;
  close(): Promise<void>;
}

/** toolvault's provider configuration pointing at the fake (the same one the tool tests use). */
export const githubProviderConfig = githubConfig;

export async function startGitHubRig(o: GitHubFakeOptions = {}): Promise<GitHubRig> {
  // Rate limits sized for benchmarks: the fake's 5000/h would answer 403 part way through a run.
  const github = await startGitHubFake({ mode: 'github-app', coreLimit: 1e9, ...o });
  github.addRepo({ owner: OWNER, name: REPO_NAME });
  const home = mkdtempSync(join(tmpdir(), 'toolvault-bench-'));
  const configFile = join(home, 'toolvault.config.json');
  writeFileSync(configFile, JSON.stringify({ providers: { github: githubProviderConfig(github) } }));
  const masterKey = randomBytes(32).toString('base64');
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    TOOLVAULT_HOME: home,
    TOOLVAULT_CONFIG: configFile,
    TOOLVAULT_MASTER_KEY: masterKey,
    TOOLVAULT_DEMO: '0',
    // The per-caller limit (600/min by default) would refuse a load run; a huge one keeps its code path.
    TOOLVAULT_RATE_LIMIT_PER_MINUTE: '1000000000',
    ...extra,
  });
  return {
    github,
    home,
    configFile,
    masterKey,
    env,
    async createApiKey(user) {
      const c = spawnNode('src/cli/main.ts', ['apikeys', 'create', '--user', user], env());
      const code = await c.exited();
      const key = c.stdout().trim();
      if (code !== 0 || !key.startsWith('tv_'))
        throw new Error(`apikeys create failed (${code}): ${c.stderr().slice(-1000)}`);
      return key;
    },
    liveAccessToken() {
      const now = Date.now();
      const live = github
        .issuedTokens()
        .filter((t) => t.kind === 'access' && !t.revoked && (t.expiresAt === null || t.expiresAt > now));
      const token = live.at(-1)?.value;
      if (!token) throw new Error('the GitHub fake has issued no live access token');
      return token;
    },
    async close() {
      await github.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The arguments of one github.createIssue call in a load run. */
export function issueArgs(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    owner: OWNER,
    repo: REPO_NAME,
    title: `Load test issue ${i}`,
    body: 'Created by a benchmark.',
    ...extra,
  };
}

/** Connects GitHub for the client's user the way a user does: auth.start, then the consent link. */
export async function connectGithub(client: Client): Promise<void> {
  const r = await client.callTool({ name: 'auth_start', arguments: { provider: 'github' } });
  const s = r.structuredContent as { status?: string; authUrl?: string } | undefined;
  if (s?.status !== 'pending' || !s.authUrl)
    throw new Error(`auth.start did not give a link: ${JSON.stringify(s)}`);
  const page = await completeConsent(s.authUrl);
  if (!page.html.includes('is connected'))
    throw new Error(`consent failed: ${page.status} ${page.html.slice(0, 300)}`);
}
