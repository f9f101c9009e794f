import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/ops/doctor.js';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * `doctor` and a stored secret it cannot open: a secret sealed under a key the ring lacks is a named case
 * (broken, with the key to supply); any other failure while opening it is a bug, and it is thrown, not
 * reported as a missing key.
 */
describe('toolvault doctor on stored secrets', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  const doctor = () =>
    runDoctor({
      vault: rig.tv.app.vault,
      providers: rig.tv.app.providers,
      oauth: rig.tv.app.oauth,
      refresher: rig.tv.app.refresher,
      clock: rig.clock,
      log: rig.tv.app.log,
      fetch: rig.wire.fetch,
    });

  it('reports a secret sealed under a key the ring lacks as broken, naming the key to supply', async () => {
    const row = await rig.connect('lost-key');
    const held = await rig.tv.app.vault.store.acquireLease(row.id, 'test', rig.clock.now(), 1_000);
    await rig.tv.app.vault.store.commitRefresh(
      row.id,
      'test',
      held!.version,
      { ...held!, secret: { keyId: 'k_dropped', blob: held!.secret.blob } },
      rig.clock.now(),
    );
    const finding = (await doctor()).findings.find((f) => f.subject === 'lost-key/demo');
    expect(finding).toMatchObject({
      status: 'broken',
      message: 'stored secret cannot be opened (unknown_key, key k_dropped)',
      action: expect.stringContaining('supply key k_dropped'),
    });
  });

  it('throws what is not a sealing problem instead of reporting a missing key', async () => {
    const vault = rig.tv.app.vault;
    const open = vault.openTokens.bind(vault);
    vault.openTokens = () => {
      throw new TypeError('a bug while opening');
    };
    try {
      await expect(doctor()).rejects.toThrow('a bug while opening');
    } finally {
      vault.openTokens = open;
    }
  });
});
