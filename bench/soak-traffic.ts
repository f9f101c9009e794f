import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { bump, sc, type SoakContext, TOOLS } from './soak-context.js';
import type { SoakSession } from './soak-session.js';
import { CHANNEL, PROVIDERS, type ProviderId, REPO } from './soak-world.js';

/**
 * The agents' everyday calls: a few tool calls per tick from random users, now and then a repeat of an
 * earlier GitHub write under its idempotency key (a retry, which must never open a second issue), each
 * result judged against what the soak knows of its connection. A result that asks the user to reconnect is
 * followed: the user opens the link.
 */
export class SoakTraffic {
  /** Idempotency keys used for issues, with the result a repeat must reproduce. */
  readonly #keys: { user: string; key: string; at: number; outcome: 'ok' | 'uncertain'; number?: number }[] =
    [];
  #seq = 0;

  constructor(
    private readonly c: SoakContext,
    private readonly session: SoakSession,
  ) {}

  argsFor(p: ProviderId, repeatKey?: string): Record<string, unknown> {
    this.#seq++;
    const seq = this.#seq;
    if (p === 'github') {
      const k = repeatKey ?? `soak-${this.c.o.seed}-${seq}`;
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
  }

  /** Judges a background call's result against what the soak knows of its connection. */
  async judge(tick: number, u: string, p: ProviderId, res: CallToolResult, repeated: boolean): Promise<void> {
    const { r } = this.c;
    const s = sc(res);
    const t = this.c.truth(u, p);
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
      if (!justified) this.c.violation(tick, `${u}/${p}: unexplained ${kind} (truth ${JSON.stringify(t)})`);
      if (reason === 'reauthorization_required') r.downgrades++;
      await this.session.reconnect(tick, u, p);
      return;
    }
    const recentTokenFault = tick - t.tokenFaultTick <= 1;
    const explained =
      ((kind === 'transient' || kind === 'rate_limited') && recentTokenFault) ||
      (kind === 'forbidden' && p === 'github' && t.scopeRemoved) ||
      ((kind === 'outcome_unknown' || kind === 'in_progress') && repeated);
    if (!explained)
      this.c.violation(tick, `${u}/${p}: unexplained error ${kind}: ${String(s['message']).slice(0, 200)}`);
  }

  async backgroundCalls(tick: number): Promise<void> {
    const { o, rand, pick, users, clock } = this.c;
    const n = 1 + Math.floor(rand() * o.callsPerTick);
    const jobs = Array.from({ length: n }, () => {
      const u = pick(users);
      const p = pick(PROVIDERS);
      // Now and then an agent repeats an earlier write under its key (a retry): never a second issue. Keys
      // belong to a user (another user's same key is another write) and live 24 h.
      const young = this.#keys.filter((k) => k.user === u && clock.now() - k.at < 12 * 3600_000);
      const repeat = p === 'github' && young.length > 0 && rand() < 0.2 ? pick(young) : undefined;
      return { u, p, repeat, args: this.argsFor(p, repeat?.key) };
    });
    await Promise.all(
      jobs.map(async ({ u, p, repeat, args }) => {
        const res = await this.session.call(u, TOOLS[p], args);
        const s = sc(res);
        if (p === 'github' && !repeat && typeof args['idempotencyKey'] === 'string') {
          const outcome = s['status'] === 'ok' ? 'ok' : s['status'] === 'error' ? 'uncertain' : null;
          if (outcome)
            this.#keys.push({
              user: u,
              key: args['idempotencyKey'],
              at: clock.now(),
              outcome,
              ...(typeof s['number'] === 'number' ? { number: s['number'] } : {}),
            });
        }
        if (repeat && repeat.outcome === 'ok' && s['status'] === 'ok' && s['number'] !== repeat.number) {
          this.c.violation(
            tick,
            `${u}/github: key ${repeat.key} answered issue ${String(s['number'])}, first was ${repeat.number}`,
          );
        }
        await this.judge(tick, u, p, res, repeat !== undefined);
      }),
    );
  }
}
