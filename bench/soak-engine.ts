import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../test/support/prng.js';
import { FakeClock } from '../test/support/clock.js';
import { SoakChaos } from './soak-chaos.js';
import { SoakChecks } from './soak-checks.js';
import { cleanTruth, type SoakContext, type Truth } from './soak-context.js';
import { emptyReport, type SoakOptions, type SoakReport } from './soak-options.js';
import { SoakSession } from './soak-session.js';
import { SoakTraffic } from './soak-traffic.js';
import { createSoakWire } from './soak-wire.js';
import { PROVIDERS, type ProviderId, startWorld } from './soak-world.js';

export { FULL, SHORT, type SoakOptions, type SoakReport, summary } from './soak-options.js';

/**
 * The chaos soak: simulated weeks (toolvault, the GitHub fake and the Slack fake on one fake clock) of
 * short-lived rotating tokens for many users on three providers, with faults aimed at single connections
 * (5xx, 429, timeouts and lost responses at the token endpoint and on API calls), revocations, scope
 * removals and a process restart on the same vault. Users reconnect when a result asks them to. Checked
 * throughout: no false downgrade, no call with an expired token, no duplicate write, every failure
 * surfaced with the right kind, no secret in any output.
 *
 * Each tick: the clock moves, maybe a chaos event (soak-chaos.ts), the agents' calls (soak-traffic.ts), a
 * scheduler pass, and the invariants (soak-checks.ts); toolvault itself is soak-session.ts.
 */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const say = o.progress ?? (() => undefined);
  const rand = prng(o.seed);
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
  for (const u of users) for (const p of PROVIDERS) truth.set(key(u, p), cleanTruth());
  const r = emptyReport(o, users.length * PROVIDERS.length);
  const c: SoakContext = {
    o,
    r,
    clock,
    world,
    wire,
    users,
    rand,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!,
    truth: (u, p) => truth.get(key(u, p))!,
    resetTruth: (u, p) => void truth.set(key(u, p), cleanTruth()),
    violation: (tick, what) => {
      if (r.violations.length < 200) r.violations.push(`tick ${tick}: ${what}`);
    },
  };
  const session = new SoakSession(c, { home, masterKey });
  const traffic = new SoakTraffic(c, session);
  const chaos = new SoakChaos(c, session, traffic);
  const checks = new SoakChecks(c, session);
  const connections = async () =>
    (await session.tv.app.vault.store.listConnections()).map((x) => `${x.id}:${x.state}:${x.version}`);

  try {
    await session.start();
    for (const u of users) for (const p of PROVIDERS) await session.reconnect(-1, u, p);
    r.reconnects = 0;
    const restartTick = o.restartAt === null ? -1 : Math.floor(r.ticks * o.restartAt);
    const tickMs = o.tickMinutes * 60_000;
    for (let tick = 0; tick < r.ticks; tick++) {
      clock.advance(tickMs);
      if (tick === restartTick) {
        const before = await connections();
        await session.stop();
        await session.start();
        r.restarts++;
        if (before.join() !== (await connections()).join())
          c.violation(tick, 'connections changed across the restart');
      }
      await chaos.tick(tick);
      if (tick === 3) await chaos.sabotage();
      await traffic.backgroundCalls(tick);
      await session.tv.app.scheduler.tick();
      await checks.sweep(tick);
      if (tick % 48 === 0)
        say(
          `  day ${((tick * o.tickMinutes) / 1440).toFixed(1)}: ${r.toolCalls} tool calls, ${r.violations.length} violations`,
        );
    }
    await checks.sweep(r.ticks);
    await checks.final(masterKey);
  } finally {
    if (session.open) await session.stop().catch(() => undefined);
    await world.close();
    rmSync(home, { recursive: true, force: true });
  }
  r.realSeconds = Math.round((performance.now() - started) / 100) / 10;
  return r;
}
