import { bump, EXPECTED_TOKEN, type SoakContext } from './soak-context.js';
import { findLeaks } from './soak-secrets.js';
import type { SoakSession } from './soak-session.js';
import type { TokenFault } from './soak-wire.js';
import { CHANNEL, type ProviderId, REPO } from './soak-world.js';

/**
 * The invariants. Every tick: each token fault that fired is recorded with the right kind, and no connection
 * is in a state the soak cannot explain (a downgrade without a revocation or a lost grant is a false
 * downgrade); users reconnect what asks for it. At the end: no call with an expired or unknown token, no
 * duplicate write, no secret in any output.
 */
export class SoakChecks {
  /** Token faults that fired and whose refresh_failed event has been checked. */
  #checkedFired = 0;

  constructor(
    private readonly c: SoakContext,
    private readonly session: SoakSession,
  ) {}

  async sweep(tick: number): Promise<void> {
    const { r, wire } = this.c;
    const store = this.session.tv.app.vault.store;
    for (; this.#checkedFired < wire.fired.length; this.#checkedFired++) {
      const f = wire.fired[this.#checkedFired]!;
      bump(r.faultsFired, `${f.where} ${f.fault}`);
      if (f.where !== 'token') continue;
      const t = this.c.truth(f.user, f.provider);
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
        this.c.violation(
          tick,
          `${f.user}/${f.provider}: token ${f.fault} recorded as ${String(kind ?? 'nothing')}, expected ${EXPECTED_TOKEN[f.fault as TokenFault]}`,
        );
      }
    }
    for (const c of await store.listConnections()) {
      const p = c.provider as ProviderId;
      const t = this.c.truth(c.userId, p);
      if (c.state === 'reauthorization_required') {
        if (!t.revoked && !t.lost)
          this.c.violation(tick, `${c.userId}/${p}: false downgrade (truth ${JSON.stringify(t)})`);
        r.downgrades++;
        await this.session.reconnect(tick, c.userId, p);
      } else if (c.state === 'scope_update_required') {
        if (!t.scopeRemoved) this.c.violation(tick, `${c.userId}/${p}: unexplained scope_update_required`);
        await this.session.reconnect(tick, c.userId, p);
      } else if (c.state !== 'healthy') {
        this.c.violation(tick, `${c.userId}/${p}: in state ${c.state}`);
      } else if (p === 'github' && t.scopeRemoved && tick - t.scopeRemovedTick >= 2) {
        // An App permission comes back with a fresh authorization: disconnect, then connect again.
        await this.session.call(c.userId, 'auth_disconnect', { provider: 'github' });
        await this.session.reconnect(tick, c.userId, p);
      }
    }
  }

  /** The end-of-run checks, and the wire's counts into the report. */
  async final(masterKey: string): Promise<void> {
    const { r, wire, world } = this.c;
    const end = r.ticks;
    // No call with an expired token; every token the fakes saw was one they issued.
    for (const b of wire.badCalls.slice(0, 20))
      this.c.violation(
        end,
        `${b.user}/${b.provider}: API call with an expired token (${new URL(b.url).pathname})`,
      );
    for (const b of wire.unknownCalls.filter((c) => c.provider !== 'demo').slice(0, 20)) {
      this.c.violation(
        end,
        `${b.provider}: API call with a token the provider never issued (${new URL(b.url).pathname})`,
      );
    }
    // No duplicate write: one issue per idempotency key, one post per message.
    const issues = world.github.issues(REPO.owner, REPO.name);
    r.issuesCreated = issues.length;
    const perKey = new Map<string, number>();
    for (const i of issues) perKey.set(i.body ?? '', (perKey.get(i.body ?? '') ?? 0) + 1);
    for (const [k, n] of perKey) if (n > 1) this.c.violation(end, `${n} issues for ${k}`);
    const messages = world.slack.messages(CHANNEL);
    r.messagesPosted = messages.length;
    const perText = new Map<string, number>();
    for (const m of messages) perText.set(m.text, (perText.get(m.text) ?? 0) + 1);
    for (const [k, n] of perText) if (n > 1) this.c.violation(end, `${n} posts of "${k}"`);

    // No secret in any output.
    const tv = this.session.tv;
    const store = tv.app.vault.store;
    const metrics = await fetch(`${tv.url}/metrics`).then((res) => (res.ok ? res.text() : ''));
    const outputs = {
      'tool results': JSON.stringify(this.session.results),
      logs: [...this.session.logs, ...tv.logs].join('\n'),
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
      this.c.violation(end, `secret ${leak.hint} in ${leak.where}`);

    for (const [k, v] of wire.tokenRequests) r.tokenRequests[k] = v;
    r.bearerCalls = wire.bearerCalls;
    r.probes = wire.probes;
  }
}
