import { bump, EXPECTED_API, sc, type SoakContext, TOOLS } from './soak-context.js';
import type { SoakSession } from './soak-session.js';
import type { SoakTraffic } from './soak-traffic.js';
import type { ApiFault, TokenFault } from './soak-wire.js';
import { PROVIDERS, type ProviderId } from './soak-world.js';

/**
 * What goes wrong on purpose: a fault aimed at one connection's next token request or API call, a grant the
 * user revokes at the provider, a scope removed; and the sabotage runs that break toolvault to prove the
 * checks notice.
 */
export class SoakChaos {
  constructor(
    private readonly c: SoakContext,
    private readonly session: SoakSession,
    private readonly traffic: SoakTraffic,
  ) {}

  /** At most one chaos event per tick, aimed only at connections whose story is simple. */
  async tick(tick: number): Promise<void> {
    const { o, r, rand, pick, users, world, wire } = this.c;
    if (rand() >= o.chaosRate) return;
    const u = pick(users);
    const p = pick(PROVIDERS);
    const t = this.c.truth(u, p);
    const row = (await this.session.tv.app.vault.store.getConnection(u, p))!;
    // Aim only at connections whose story is simple, so every expectation is exact.
    if (t.revoked || t.lost || t.scopeRemoved || row.state !== 'healthy') return;
    const roll = rand();
    if (roll < 0.4) {
      const fault = pick<TokenFault>(['500', '429', 'timeout', 'timeout', '500', 'lost']);
      bump(r.faultsAimed, `token ${fault}`);
      wire.aimTokenFault(u, p, fault);
    } else if (roll < 0.8) {
      await this.#apiFault(tick, u, p);
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
  }

  /** A fault on one connection's next API call, and that call: its result must name the fault's kind. */
  async #apiFault(tick: number, u: string, p: ProviderId): Promise<void> {
    const { r, pick, wire } = this.c;
    const faults: ApiFault[] =
      p === 'demo' ? ['500', '429', 'timeout', 'reset'] : ['500', '429', 'timeout', 'reset', 'lost'];
    const fault = pick(faults);
    bump(r.faultsAimed, `api ${fault}`);
    const firedBefore = wire.fired.length;
    wire.aimApiFault(u, p, fault);
    const args = this.traffic.argsFor(p);
    const res = await this.session.call(u, TOOLS[p], args);
    const s = sc(res);
    const kind = s['status'] === 'error' ? String(s['kind']) : String(s['status']);
    bump(r.outcomes, kind);
    const fired = wire.fired
      .slice(firedBefore)
      .some((f) => f.where === 'api' && f.user === u && f.provider === p);
    if (!fired) {
      this.c.violation(
        tick,
        `${u}/${p}: aimed API fault ${fault} never reached the provider (result ${kind})`,
      );
      return;
    }
    if (kind !== EXPECTED_API[fault])
      this.c.violation(tick, `${u}/${p}: API ${fault} surfaced as ${kind}, expected ${EXPECTED_API[fault]}`);
    if (p === 'github' && fault === 'lost') {
      // The issue exists but the answer was lost: a retry under the same key must not open a second one.
      const again = sc(await this.session.call(u, TOOLS[p], args));
      const k = String(again['status'] === 'error' ? again['kind'] : again['status']);
      bump(r.outcomes, k);
      if (k !== 'outcome_unknown')
        this.c.violation(
          tick,
          `${u}/github: retry after a lost response answered ${k}, expected outcome_unknown`,
        );
    }
  }

  /** Breaks toolvault's world on purpose (SoakOptions.sabotage), for the self-test of the checks. */
  async sabotage(): Promise<void> {
    const { o, world, clock } = this.c;
    const tv = this.session.tv;
    if (o.sabotage === 'leak') {
      const token = world.github.issuedTokens().at(-1)!.value;
      tv.app.log.warn(`sabotage: a log line that carries ${token}`);
    } else if (o.sabotage === 'false-downgrade') {
      const row = (await tv.app.vault.store.listConnections()).find((c) => c.state === 'healthy')!;
      await tv.app.vault.store.updateConnection(row.id, { state: 'reauthorization_required' }, clock.now());
    }
  }
}
