import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from '../support/refresh-rig.js';
import { sc } from '../support/toolvault.js';

describe('explore', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.connect('local');
  });
  afterAll(() => rig.close());

  it('500 concurrent', async () => {
    const r0 = await rig.row('local');
    rig.clock.set(r0.accessExpiresAt! + 1000);
    const t = performance.now();
    const results = await Promise.all(Array.from({ length: 500 }, () => rig.tv.call('demo_whoami')));
    console.log('500 calls ms', performance.now() - t);
    console.log(results.filter((r) => !r.isError).length, rig.wire.tokenRequests('refresh_token').length, rig.as.tokenRequests().length);
    console.log(sc(results[0]!), rig.wire.badCalls().length);
  });

  it('refresh speed', async () => {
    const t = performance.now();
    for (let i = 0; i < 100; i++) {
      const r = await rig.row('local');
      rig.clock.set(r.accessExpiresAt! + 1000);
      const out = await rig.act('local');
      if (!out.ok) console.log(out);
    }
    console.log('100 refresh+call ms', performance.now() - t);
  });

  it('timeout', async () => {
    const r = await rig.row('local');
    rig.clock.set(r.accessExpiresAt! + 1000);
    rig.as.failNext('timeout');
    const t = performance.now();
    const out = await rig.act('local');
    console.log('timeout', performance.now() - t, JSON.stringify(out), (await rig.row('local')).lastError);
    console.log(rig.tv.logs.filter(l => l.includes('refresh failed')).slice(-1));
  });
});
