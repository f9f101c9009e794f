import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { completeConsent } from '../test/support/browser.js';
import { FakeClock } from '../test/support/clock.js';
import { type Harness, startToolvault } from '../test/support/toolvault.js';
import { findLeaks } from './soak-secrets.js';
import { type ApiFault, createSoakWire, type TokenFault } from './soak-wire.js';
import { CHANNEL, PROVIDERS, type ProviderId, REPO, SLACK_SCOPES, startWorld } from './soak-world.js';

/**
 * The chaos soak: simulated weeks (toolvault, the GitHub fake and the Slack fake on one fake clock) of
 * short-lived rotating tokens for many users on three providers, with faults aimed at single connections
 * (5xx, 429, timeouts and lost responses at the token endpoint and on API calls), revocations, scope
 * removals and a process restart on the same vault. Users reconnect when a result asks them to. Checked
 * throughout: no false downgrade, no call with an expired token, no duplicate write, every failure
 * surfaced with the right kind, no secret in any output.
 */

export interface SoakOptions {
  users: number;
  days: number;
  tickMinutes: number;
  seed: number;
  /** Access token lifetime at every provider. */
  accessTtlSec: number;
  /** Background calls per tick, at most (at least 1). */
  callsPerTick: number;
  /** Chance per tick of a chaos event. */
  chaosRate: number;
  /** Restart (close, reopen on the same vault) at this fraction of the run; null: none. */
  restartAt: number | null;
  /**
   * Self-test of the checks: break toolvault's world on purpose and expect the soak to notice. `ignore-expiry`
   * hides expires_in from GitHub token responses (toolvault then uses tokens past their life), `leak` writes a
   * live token into a log line, `false-downgrade` marks a healthy connection reauthorization_required.
   */
  sabotage?: 'ignore-expiry' | 'leak' | 'false-downgrade';
  progress?: (line: string) => void;
}

export const SHORT: SoakOptions = {
  users: 3,
  days: 1.5,
  tickMinutes: 20,
  seed: 7,
  accessTtlSec: 2 * 3600,
  callsPerTick: 3,
  chaosRate: 0.5,
  restartAt: 0.5,
};

export const FULL: SoakOptions = {
  users: 20,
  days: 28,
  tickMinutes: 15,
  seed: 42,
  accessTtlSec: 2 * 3600,
  callsPerTick: 4,
  chaosRate: 0.35,
  restartAt: 0.5,
};

export interface SoakReport {
  options: SoakOptions;
  realSeconds: number;
  simulatedDays: number;
  ticks: number;
  connections: number;
  toolCalls: number;
  outcomes: Record<string, number>;
  tokenRequests: Record<string, number>;
  faultsAimed: Record<string, number>;
  faultsFired: Record<string, number>;
  revocations: number;
  scopeRemovals: number;
  lostGrants: number;
  downgrades: number;
  reconnects: number;
  restarts: number;
  issuesCreated: number;
  messagesPosted: number;
  bearerCalls: number;
  probes: number;
  secretsChecked: number;
  outputBytesChecked: number;
  violations: string[];
}

interface Truth {
  revoked: boolean;
  lost: boolean;
  scopeRemoved: boolean;
  /** Tick of the last token fault that fired, for which a failing call may be explained. */
  tokenFaultTick: number;
  /** Tick the scope was removed (a GitHub App permission comes back when the user reconnects). */
  scopeRemovedTick: number;
}

const TOOLS: Record<ProviderId, string> = {
  github: 'github_createIssue',
  slack: 'slack_postMessage',
  demo: 'demo_whoami',
};
const EXPECTED_API: Record<ApiFault, string> = {
  '500': 'transient',
  '429': 'rate_limited',
  timeout: 'transient',
  reset: 'transient',
  lost: 'transient',
};
const EXPECTED_TOKEN: Record<TokenFault, string> = {
  '500': 'transient',
  '429': 'rate_limited',
  timeout: 'transient',
  lost: 'transient',
};

/** Small seeded PRNG (mulberry32): a run's choices repeat for a seed (its async interleavings need not). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sc = (r: CallToolResult): Record<string, unknown> =>
  (r.structuredContent ?? {}) as Record<string, unknown>;
const bump = (m: Record<string, number>, k: string, by = 1) => void (m[k] = (m[k] ?? 0) + by);

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const say = o.progress ?? (() => undefined);
  const rand = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const clock = new FakeClock(Date.UTC(2026, 2, 2));
  const world = await startWorld(clock, { accessTtlSec: o.accessTtlSec });
  const wire = createSoakWire({
    clock,
    world,
    ...(o.sabotage === 'ignore-expiry' ? { hideExpiry: ['github'] } : {}),
  });
  const home = mkdtempSync(join(tmpdir(), 'toolvault-soak-'));
  const masterKey = randomBytes(32).toString('base64');
  const users = Array.from({ length: o.users }, (_, i) => `u${String(i + 1).padStart(2, '0')}`);
  const truth = new Map<string, Truth>();
  const key = (user: string, p: ProviderId) => `${user}/${p}`;
  const clean = (): Truth => ({
    revoked: false,
    lost: false,
    scopeRemoved: false,
    tokenFaultTick: -99,
    scopeRemovedTick: -99,
  });
  for (const u of users) for (const p of PROVIDERS) truth.set(key(u, p), clean());
  const T = (u: string, p: ProviderId) => truth.get(key(u, p))!;

  const r: SoakReport = {
    options: o,
    realSeconds: 0,
    simulatedDays: o.days,
    ticks: Math.round((o.days * 24 * 60) / o.tickMinutes),
    connections: users.length * PROVIDERS.length,
    toolCalls: 0,
    outcomes: {},
    tokenRequests: {},
    faultsAimed: {},
    faultsFired: {},
    revocations: 0,
    scopeRemovals: 0,
    lostGrants: 0,
    downgrades: 0,
    reconnects: 0,
    restarts: 0,
    issuesCreated: 0,
    messagesPosted: 0,
    bearerCalls: 0,
    probes: 0,
    secretsChecked: 0,
    outputBytesChecked: 0,
    violations: [],
  };
  const violation = (tick: number, what: string) => {
    if (r.violations.length < 200) r.violations.push(`tick ${tick}: ${what}`);
  };

  let tv: Harness;
  const logs: string[] = [];
  const results: CallToolResult[] = [];
  const clients = new Map<string, Client>();
  const open = async () => {
    tv = await startToolvault({ clock, fetch: wire.fetch, providers: world.providers, home, masterKey });
    await world.oidc.setRedirectUris([`${tv.url}/oauth/callback`]);
    for (const u of users) {
      const [a, b] = InMemoryTransport.createLinkedPair();
      await tv.app.newMcpServer(() => u).connect(b);
      const c = new Client({ name: `soak-${u}`, version: '1.0.0' });
      await c.connect(a);
      clients.set(u, c);
    }
  };
  const shut = async () => {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
    clients.clear();
    logs.push(...tv.logs);
    tv.logs.length = 0;
    await tv.close({ keepHome: true });
  };
  const call = async (u: string, tool: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    const res = (await clients.get(u)!.callTool({ name: tool, arguments: args })) as CallToolResult;
    results.push(res);
    r.toolCalls++;
    return res;
  };

  /** The user opens the link (setting who signs in at the fake first) and the connection is theirs again. */
  const reconnect = async (tick: number, u: string, p: ProviderId) => {
    const start = sc(
      await call(u, 'auth_start', { provider: p, ...(p === 'slack' ? { scopes: SLACK_SCOPES } : {}) }),
    );
    if (start['status'] === 'pending') {
      world.consentAs(p, u);
      const page = await completeConsent(String(start['authUrl']), { name: u });
      if (!page.html.includes('is connected')) violation(tick, `${u}/${p}: consent failed (${page.status})`);
    } else if (start['status'] !== 'connected') {
      violation(tick, `${u}/${p}: auth.start answered ${JSON.stringify(start).slice(0, 200)}`);
    }
    truth.set(key(u, p), clean());
    r.reconnects++;
  };

  // Idempotency keys used for issues, with the result a repeat must reproduce.
  const keys: { user: string; key: string; at: number; outcome: 'ok' | 'uncertain'; number?: number }[] = [];
  let seq = 0;
  const argsFor = (p: ProviderId, repeatKey?: string): Record<string, unknown> => {
    seq++;
    if (p === 'github') {
      const k = repeatKey ?? `soak-${o.seed}-${seq}`;
      return {
        owner: REPO.owner,
        repo: REPO.name,
        title: `Soak issue ${seq}`,
        body: `key:${k}`,
        idempotencyKey: k,
      };
    }
    if (p === 'slack') return { channel: CHANNEL, text: `soak message m-${seq}` };
    return {};
  };

  /** Judges a background call's result against what the soak knows of its connection. */
  const judge = async (tick: number, u: string, p: ProviderId, res: CallToolResult, repeated: boolean) => {
    const s = sc(res);
    const t = T(u, p);
    const status = String(s['status']);
    const kind =
      status === 'auth_required'
        ? `auth_required:${String(s['reason'])}`
        : status === 'error'
          ? String(s['kind'])
          : status;
    bump(r.outcomes, kind);
    if (status === 'ok') return;
    if (status === 'auth_required') {
      const reason = s['reason'];
      const justified =
        (reason === 'reauthorization_required' && (t.revoked || t.lost)) ||
        (reason === 'scope_update_required' && t.scopeRemoved && p === 'slack');
      if (!justified) violation(tick, `${u}/${p}: unexplained ${kind} (truth ${JSON.stringify(t)})`);
      if (reason === 'reauthorization_required') r.downgrades++;
      await reconnect(tick, u, p);
      return;
    }
    const recentTokenFault = tick - t.tokenFaultTick <= 1;
    const explained =
      ((kind === 'transient' || kind === 'rate_limited') && recentTokenFault) ||
      (kind === 'forbidden' && p === 'github' && t.scopeRemoved) ||
      ((kind === 'outcome_unknown' || kind === 'in_progress') && repeated);
    if (!explained)
      violation(tick, `${u}/${p}: unexplained error ${kind}: ${String(s['message']).slice(0, 200)}`);
  };

  const backgroundCalls = async (tick: number) => {
    const n = 1 + Math.floor(rand() * o.callsPerTick);
    const jobs = Array.from({ length: n }, () => {
      const u = pick(users);
      const p = pick(PROVIDERS);
      // Now and then an agent repeats an earlier write under its key (a retry): never a second issue. Keys
      // belong to a user (another user's same key is another write) and live 24 h.
      const young = keys.filter((k) => k.user === u && clock.now() - k.at < 12 * 3600_000);
      const repeat = p === 'github' && young.length > 0 && rand() < 0.2 ? pick(young) : undefined;
      return { u, p, repeat, args: argsFor(p, repeat?.key) };
    });
    await Promise.all(
      jobs.map(async ({ u, p, repeat, args }) => {
        const res = await call(u, TOOLS[p], args);
        const s = sc(res);
        if (p === 'github' && !repeat && typeof args['idempotencyKey'] === 'string') {
          const outcome = s['status'] === 'ok' ? 'ok' : s['status'] === 'error' ? 'uncertain' : null;
          if (outcome)
            keys.push({
              user: u,
              key: args['idempotencyKey'],
              at: clock.now(),
              outcome,
              ...(typeof s['number'] === 'number' ? { number: s['number'] } : {}),
            });
        }
        if (repeat && repeat.outcome === 'ok' && s['status'] === 'ok' && s['number'] !== repeat.number) {
          violation(
            tick,
            `${u}/github: key ${repeat.key} answered issue ${String(s['number'])}, first was ${repeat.number}`,
          );
        }
        await judge(tick, u, p, res, repeat !== undefined);
      }),
    );
  };

  /** A fault on one connection's next API call, and that call: its result must name the fault's kind. */
  const apiChaos = async (tick: number, u: string, p: ProviderId) => {
    const faults: ApiFault[] =
      p === 'demo' ? ['500', '429', 'timeout', 'reset'] : ['500', '429', 'timeout', 'reset', 'lost'];
    const fault = pick(faults);
    bump(r.faultsAimed, `api ${fault}`);
    const firedBefore = wire.fired.length;
    wire.aimApiFault(u, p, fault);
    const args = argsFor(p);
    const res = await call(u, TOOLS[p], args);
    const s = sc(res);
    const kind = s['status'] === 'error' ? String(s['kind']) : String(s['status']);
    bump(r.outcomes, kind);
    const fired = wire.fired
      .slice(firedBefore)
      .some((f) => f.where === 'api' && f.user === u && f.provider === p);
    if (!fired) {
      violation(tick, `${u}/${p}: aimed API fault ${fault} never reached the provider (result ${kind})`);
      return;
    }
    if (kind !== EXPECTED_API[fault])
      violation(tick, `${u}/${p}: API ${fault} surfaced as ${kind}, expected ${EXPECTED_API[fault]}`);
    if (p === 'github' && fault === 'lost') {
      // The issue exists but the answer was lost: a retry under the same key must not open a second one.
      const again = sc(await call(u, TOOLS[p], args));
      const k = String(again['status'] === 'error' ? again['kind'] : again['status']);
      bump(r.outcomes, k);
      if (k !== 'outcome_unknown')
        violation(tick, `${u}/github: retry after a lost response answered ${k}, expected outcome_unknown`);
    }
  };

  const chaos = async (tick: number) => {
    if (rand() >= o.chaosRate) return;
    const u = pick(users);
    const p = pick(PROVIDERS);
    const t = T(u, p);
    const c = (await tv.app.vault.store.getConnection(u, p))!;
    // Aim only at connections whose story is simple, so every expectation is exact.
    if (t.revoked || t.lost || t.scopeRemoved || c.state !== 'healthy') return;
    const roll = rand();
    if (roll < 0.4) {
      const fault = pick<TokenFault>(['500', '429', 'timeout', 'timeout', '500', 'lost']);
      bump(r.faultsAimed, `token ${fault}`);
      wire.aimTokenFault(u, p, fault);
    } else if (roll < 0.8) {
      await apiChaos(tick, u, p);
    } else if (roll < 0.9) {
      r.revocations++;
      t.revoked = true;
      if (p === 'github') world.github.revoke(u);
      else if (p === 'slack') world.slack.revoke(world.slackUserId(u));
      else world.oidc.revokeGrantFor(u);
    } else if (p !== 'demo') {
      r.scopeRemovals++;
      t.scopeRemoved = true;
      t.scopeRemovedTick = tick;
      if (p === 'github') world.github.dropScope(u, 'issues');
      else world.slack.dropScope(world.slackUserId(u), 'chat:write');
    }
  };

  // Token faults that fired and whose refresh_failed event has not been checked yet.
  let checkedFired = 0;
  const sweep = async (tick: number) => {
    const store = tv.app.vault.store;
    for (; checkedFired < wire.fired.length; checkedFired++) {
      const f = wire.fired[checkedFired]!;
      bump(r.faultsFired, `${f.where} ${f.fault}`);
      if (f.where !== 'token') continue;
      const t = T(f.user, f.provider);
      t.tokenFaultTick = tick;
      if (f.fault === 'lost') {
        t.lost = true;
        r.lostGrants++;
      }
      const row = await store.getConnection(f.user, f.provider);
      const events = row ? await store.listEvents({ connectionId: row.id, limit: 100_000 }) : [];
      const failed = events.find((e) => e.type === 'refresh_failed' && e.at >= f.at);
      const kind = failed?.detail['kind'];
      if (kind !== EXPECTED_TOKEN[f.fault as TokenFault]) {
        violation(
          tick,
          `${f.user}/${f.provider}: token ${f.fault} recorded as ${String(kind ?? 'nothing')}, expected ${EXPECTED_TOKEN[f.fault as TokenFault]}`,
        );
      }
    }
    for (const c of await store.listConnections()) {
      const p = c.provider as ProviderId;
      const t = T(c.userId, p);
      if (c.state === 'reauthorization_required') {
        if (!t.revoked && !t.lost)
          violation(tick, `${c.userId}/${p}: false downgrade (truth ${JSON.stringify(t)})`);
        r.downgrades++;
        await reconnect(tick, c.userId, p);
      } else if (c.state === 'scope_update_required') {
        if (!t.scopeRemoved) violation(tick, `${c.userId}/${p}: unexplained scope_update_required`);
        await reconnect(tick, c.userId, p);
      } else if (c.state !== 'healthy') {
        violation(tick, `${c.userId}/${p}: in state ${c.state}`);
      } else if (p === 'github' && t.scopeRemoved && tick - t.scopeRemovedTick >= 2) {
        // An App permission comes back with a fresh authorization: disconnect, then connect again.
        await call(c.userId, 'auth_disconnect', { provider: 'github' });
        await reconnect(tick, c.userId, p);
      }
    }
  };

  const sabotage = async () => {
    if (o.sabotage === 'leak') {
      const token = world.github.issuedTokens().at(-1)!.value;
      tv.app.log.warn(`sabotage: a log line that carries ${token}`);
    } else if (o.sabotage === 'false-downgrade') {
      const row = (await tv.app.vault.store.listConnections()).find((c) => c.state === 'healthy')!;
      await tv.app.vault.store.updateConnection(row.id, { state: 'reauthorization_required' }, clock.now());
    }
  };

  try {
    await open();
    for (const u of users) for (const p of PROVIDERS) await reconnect(-1, u, p);
    r.reconnects = 0;
    const restartTick = o.restartAt === null ? -1 : Math.floor(r.ticks * o.restartAt);
    const tickMs = o.tickMinutes * 60_000;
    for (let tick = 0; tick < r.ticks; tick++) {
      clock.advance(tickMs);
      if (tick === restartTick) {
        const before = (await tv!.app.vault.store.listConnections()).map(
          (c) => `${c.id}:${c.state}:${c.version}`,
        );
        await shut();
        await open();
        r.restarts++;
        const after = (await tv!.app.vault.store.listConnections()).map(
          (c) => `${c.id}:${c.state}:${c.version}`,
        );
        if (before.join() !== after.join()) violation(tick, 'connections changed across the restart');
      }
      await chaos(tick);
      if (tick === 3) await sabotage();
      await backgroundCalls(tick);
      await tv!.app.scheduler.tick();
      await sweep(tick);
      if (tick % 48 === 0)
        say(
          `  day ${((tick * o.tickMinutes) / 1440).toFixed(1)}: ${r.toolCalls} tool calls, ${r.violations.length} violations`,
        );
    }
    await sweep(r.ticks);

    // No call with an expired token; every token the fakes saw was one they issued.
    for (const b of wire.badCalls.slice(0, 20))
      violation(
        r.ticks,
        `${b.user}/${b.provider}: API call with an expired token (${new URL(b.url).pathname})`,
      );
    for (const b of wire.unknownCalls.filter((c) => c.provider !== 'demo').slice(0, 20)) {
      violation(
        r.ticks,
        `${b.provider}: API call with a token the provider never issued (${new URL(b.url).pathname})`,
      );
    }
    // No duplicate write: one issue per idempotency key, one post per message.
    const issues = world.github.issues(REPO.owner, REPO.name);
    r.issuesCreated = issues.length;
    const perKey = new Map<string, number>();
    for (const i of issues) perKey.set(i.body ?? '', (perKey.get(i.body ?? '') ?? 0) + 1);
    for (const [k, n] of perKey) if (n > 1) violation(r.ticks, `${n} issues for ${k}`);
    const messages = world.slack.messages(CHANNEL);
    r.messagesPosted = messages.length;
    const perText = new Map<string, number>();
    for (const m of messages) perText.set(m.text, (perText.get(m.text) ?? 0) + 1);
    for (const [k, n] of perText) if (n > 1) violation(r.ticks, `${n} posts of "${k}"`);

    // No secret in any output.
    const store = tv!.app.vault.store;
    const metrics = await fetch(`${tv!.url}/metrics`).then((res) => (res.ok ? res.text() : ''));
    const outputs = {
      'tool results': JSON.stringify(results),
      logs: [...logs, ...tv!.logs].join('\n'),
      events: JSON.stringify(await store.listEvents({ limit: 10_000_000 })),
      audit: JSON.stringify(await store.listAudit({ limit: 10_000_000 })),
      metrics,
    };
    const secrets = new Set(wire.secrets);
    for (const t of world.github.issuedTokens()) secrets.add(t.value);
    for (const t of world.slack.issuedTokens()) secrets.add(t.value);
    for (const s of [world.github.clientSecret, world.slack.clientSecret, world.oidc.clientSecret, masterKey])
      secrets.add(s);
    r.secretsChecked = secrets.size;
    r.outputBytesChecked = Object.values(outputs).reduce((n, s) => n + s.length, 0);
    for (const leak of findLeaks(secrets, outputs).slice(0, 20))
      violation(r.ticks, `secret ${leak.hint} in ${leak.where}`);

    for (const [k, v] of wire.tokenRequests) r.tokenRequests[k] = v;
    r.bearerCalls = wire.bearerCalls;
    r.probes = wire.probes;
  } finally {
    if (clients.size > 0) await shut().catch(() => undefined);
    await world.close();
    rmSync(home, { recursive: true, force: true });
  }
  r.realSeconds = Math.round((performance.now() - started) / 100) / 10;
  return r;
}

/** The soak's summary, as lines; the verdict last. */
export function summary(r: SoakReport): string[] {
  const kv = (m: Record<string, number>) =>
    Object.entries(m)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `simulated ${r.simulatedDays} days in ${r.ticks} ticks of ${r.options.tickMinutes} min (${r.realSeconds} s real), seed ${r.options.seed}`,
    `${r.options.users} users x 3 providers = ${r.connections} connections; access tokens live ${r.options.accessTtlSec / 3600} h`,
    `tool calls ${r.toolCalls}: ${kv(r.outcomes)}`,
    `token requests: ${kv(r.tokenRequests)}`,
    `API calls with a bearer token ${r.bearerCalls} (probes ${r.probes})`,
    `faults aimed: ${kv(r.faultsAimed)}`,
    `faults fired: ${kv(r.faultsFired)}`,
    `revocations ${r.revocations}, scope removals ${r.scopeRemovals}, grants lost to a lost token response ${r.lostGrants}, downgrades ${r.downgrades}, reconnects ${r.reconnects}, restarts ${r.restarts}`,
    `writes: ${r.issuesCreated} issues, ${r.messagesPosted} Slack posts; secrets checked ${r.secretsChecked} against ${Math.round(r.outputBytesChecked / 1024)} KB of output`,
    r.violations.length === 0 ? 'invariants: all held' : `invariants: ${r.violations.length} VIOLATIONS`,
    ...r.violations.map((v) => `  - ${v}`),
  ];
}
