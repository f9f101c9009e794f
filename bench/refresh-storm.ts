import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { completeConsent } from '../test/support/browser.js';
import { FakeClock } from '../test/support/clock.js';
import { startRig } from '../test/support/refresh-rig.js';
import { type Harness, startToolvault } from '../test/support/toolvault.js';
import { githubProviderConfig, issueArgs, startGitHubRig } from './github-rig.js';
import { type BenchResult, finish, type Row } from './report.js';
import { median, ratio, round, since } from './stats.js';

/**
 * Refresh storm: N concurrent tool calls for one user whose access token has expired (toolvault's injected
 * clock moved past the expiry). Exactly one token request must reach the token endpoint, whatever N; the
 * storm's wall time is compared with the same N calls on a fresh token. Two token endpoints: the GitHub fake
 * in GitHub App mode (github.createIssue; the fake shares the clock, so an expired token really is refused)
 * and oidc-provider with refresh-token rotation and reuse detection (demo.whoami; a second refresh with
 * the spent token would revoke the whole grant).
 *
 *   node --import ./test/support/ts-register.mjs bench/refresh-storm.ts [--quick]
 */

const quick = process.argv.includes('--quick');
const SIZES = quick ? [1, 100] : [1, 100, 1000];
const REPEATS = (n: number): number => (quick ? 2 : n === 1 ? 15 : n === 100 ? 7 : 3);

interface Target {
  id: string;
  label: string;
  tv: Harness;
  clock: FakeClock;
  tool: string;
  args: (i: number) => Record<string, unknown>;
  /** Refresh-token grants the token endpoint has received so far. */
  tokenRequests(): number;
  /** API calls the provider refused because the token had expired, so far. */
  expiredCalls(): number;
  /** The stored access token's expiry (toolvault's clock). */
  expiresAt(): Promise<number>;
  close(): Promise<void>;
}

interface Storm {
  target: string;
  n: number;
  repeat: number;
  freshMs: number;
  expiredMs: number;
  tokenRequests: number;
  expiredApiCalls: number;
  failedCalls: number;
  firstFailure: string | null;
}

async function github(): Promise<Target> {
  const clock = new FakeClock();
  const rig = await startGitHubRig({ now: () => clock.now() });
  const tv = await startToolvault({ clock, providers: { github: githubProviderConfig(rig.github) } });
  const start = (await tv.call('auth_start', { provider: 'github' })).structuredContent as {
    authUrl: string;
  };
  await completeConsent(start.authUrl);
  const CREATE = 'POST /repos/{owner}/{repo}/issues';
  return {
    id: 'github',
    label: 'GitHub fake (GitHub App)',
    tv,
    clock,
    tool: 'github_createIssue',
    args: (i) => issueArgs(i),
    tokenRequests: () => rig.github.tokenRequests()['refresh_token'] ?? 0,
    expiredCalls: () => rig.github.requests().filter((r) => r.key === CREATE && r.status === 401).length,
    expiresAt: async () => (await tv.app.vault.store.getConnection('local', 'github'))!.accessExpiresAt!,
    async close() {
      await tv.close();
      await rig.close();
    },
  };
}

async function oidc(): Promise<Target> {
  const rig = await startRig();
  await rig.connect('local');
  return {
    id: 'oidc',
    label: 'oidc-provider (rotation, reuse detection)',
    tv: rig.tv,
    clock: rig.clock,
    tool: 'demo_whoami',
    args: () => ({}),
    tokenRequests: () => rig.wire.tokenRequests('refresh_token').length,
    // The wire judges every API call against the expiry toolvault was told, by toolvault's clock.
    expiredCalls: () => rig.wire.badCalls().length,
    expiresAt: async () => (await rig.row('local')).accessExpiresAt!,
    close: () => rig.close(),
  };
}

/** N concurrent calls; wall time and the failures among them. */
async function burst(t: Target, n: number): Promise<{ ms: number; failed: number; first: string | null }> {
  const start = performance.now();
  const results = await Promise.all(
    Array.from(
      { length: n },
      (_, i) => t.tv.client.callTool({ name: t.tool, arguments: t.args(i) }) as Promise<CallToolResult>,
    ),
  );
  const ms = since(start);
  const failed = results.filter(
    (r) => r.isError || (r.structuredContent as { status?: string })?.status !== 'ok',
  );
  return {
    ms,
    failed: failed.length,
    first: failed[0] ? JSON.stringify(failed[0].structuredContent).slice(0, 300) : null,
  };
}

const storms: Storm[] = [];
for (const make of [github, oidc]) {
  const t = await make();
  try {
    await burst(t, 50); // warm-up on a fresh token
    for (const n of SIZES) {
      for (let repeat = 1; repeat <= REPEATS(n); repeat++) {
        const fresh = await burst(t, n);
        t.clock.set((await t.expiresAt()) + 1_000);
        const before = { tokens: t.tokenRequests(), expired: t.expiredCalls() };
        const storm = await burst(t, n);
        const s: Storm = {
          target: t.id,
          n,
          repeat,
          freshMs: round(fresh.ms),
          expiredMs: round(storm.ms),
          tokenRequests: t.tokenRequests() - before.tokens,
          expiredApiCalls: t.expiredCalls() - before.expired,
          failedCalls: fresh.failed + storm.failed,
          firstFailure: storm.first ?? fresh.first,
        };
        storms.push(s);
        console.log(
          `  ${t.id.padEnd(6)} N=${String(n).padEnd(4)} #${repeat}: fresh ${s.freshMs} ms, expired ${s.expiredMs} ms, ` +
            `${s.tokenRequests} token request(s), ${s.expiredApiCalls} call(s) with an expired token` +
            (s.failedCalls ? `, ${s.failedCalls} FAILED: ${s.firstFailure}` : ''),
        );
      }
    }
  } finally {
    await t.close();
  }
}

const rows: Row[] = [];
const failures: string[] = [];
for (const target of ['github', 'oidc']) {
  for (const n of SIZES) {
    const xs = storms.filter((s) => s.target === target && s.n === n);
    const tokens = [...new Set(xs.map((s) => s.tokenRequests))].sort();
    const allOne = xs.every((s) => s.tokenRequests === 1);
    const fresh = median(xs.map((s) => s.freshMs));
    const expired = median(xs.map((s) => s.expiredMs));
    rows.push({
      measure: `${n} concurrent call${n === 1 ? '' : 's'} on an expired token, ${target === 'github' ? 'GitHub fake' : 'oidc-provider'}`,
      toolvault: `${round(expired, 1)} ms, ${tokens.join('/')} token request${allOne ? '' : 's'} (${xs.length} storms)`,
      baseline: `${round(fresh, 1)} ms`,
      ratio: ratio(median(xs.map((s) => s.expiredMs / s.freshMs)), 1),
      target: 'exactly 1 token request',
      met: allOne,
    });
    for (const s of xs) {
      if (s.tokenRequests !== 1)
        failures.push(`${target} N=${n} storm #${s.repeat}: ${s.tokenRequests} token requests`);
      if (s.expiredApiCalls > 0)
        failures.push(
          `${target} N=${n} storm #${s.repeat}: ${s.expiredApiCalls} API calls with an expired token`,
        );
      if (s.failedCalls > 0)
        failures.push(
          `${target} N=${n} storm #${s.repeat}: ${s.failedCalls} failed calls, first: ${s.firstFailure}`,
        );
    }
  }
}
finish({
  name: 'refresh-storm',
  title: 'Refresh storm',
  baseline: 'the same N concurrent calls on a fresh token',
  rows,
  failures,
  notes: [
    'in-process (SDK client over an in-memory transport); ratio is the median of per-storm expired/fresh wall times',
  ],
  raw: { storms },
} satisfies BenchResult);
