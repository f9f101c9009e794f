import { describe, expect, it } from 'vitest';
import { runSoak, SHORT, type SoakOptions, summary } from '../../bench/soak-engine.js';

/**
 * The chaos soak at CI size (bench/soak-engine.ts; `npm run soak` runs weeks of it): a day and a half of
 * 2-hour rotating tokens for three users on GitHub, Slack and oidc-provider, with aimed faults, revocations,
 * scope removals and a restart. Then the checks themselves are checked: a toolvault broken on purpose must
 * not pass.
 */

describe('chaos soak, short', () => {
  it('keeps every invariant through faults, revocations, scope removals and a restart', async () => {
    const r = await runSoak(SHORT);
    expect(r.violations, summary(r).join('\n')).toEqual([]);
    const fired = Object.values(r.faultsFired).reduce((a, b) => a + b, 0);
    expect(fired).toBeGreaterThan(10);
    expect(r.restarts).toBe(1);
    expect(r.revocations + r.lostGrants).toBeGreaterThan(0);
    expect(r.outcomes['ok']).toBeGreaterThan(100);
  });

  const broken: [NonNullable<SoakOptions['sabotage']>, RegExp][] = [
    ['ignore-expiry', /API call with an expired token/],
    ['leak', /secret .* in logs/],
    ['false-downgrade', /false downgrade/],
  ];
  it.each(broken)('notices a toolvault broken on purpose: %s', async (sabotage, expected) => {
    const r = await runSoak({ ...SHORT, users: 2, days: 0.5, sabotage });
    expect(
      r.violations.some((v) => expected.test(v)),
      summary(r).join('\n'),
    ).toBe(true);
  });
});
