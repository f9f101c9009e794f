import { describe, expect, it } from 'vitest';
import type { NewAuditRecord, NewEvent, Store } from '../../src/vault/types.js';
import { connect, grant, MINUTE, newConsent, secret, T0 } from './store-fixtures.js';

/**
 * The operators' part of the Store contract (issue 6): the audit trail, event filters for dashboards and
 * alerts, and the two methods key rotation needs. `get` returns the current test's store.
 */
export function describeOperationsContract(get: () => Store): void {
  const audit = (n: number, userId = 'u1', tool = 'slack.postMessage'): NewAuditRecord => ({
    at: T0 + n,
    userId,
    tool,
    provider: 'slack',
    status: n % 2 ? 'ok' : 'error',
    kind: n % 2 ? null : 'transient',
    durationMs: 12.6,
    correlationId: `call_${n}`,
  });
  const event = (type: string, connectionId: string | null, n: number): NewEvent => ({
    at: T0 + n,
    type,
    connectionId,
    userId: 'u1',
    provider: 'slack',
    fromState: null,
    toState: null,
    reason: `r${n}`,
    detail: {},
  });

  describe('audit trail', () => {
    it('appends records with increasing ids and rounds the duration to whole milliseconds', async () => {
      const a = await get().appendAudit(audit(1));
      const b = await get().appendAudit(audit(2));
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toEqual({ ...audit(1), id: a.id, durationMs: 13 });
      expect(b).toMatchObject({ status: 'error', kind: 'transient', correlationId: 'call_2' });
      expect(await get().listAudit()).toEqual([a, b]);
    });

    it('appends a batch in order, in one go, and an empty batch is a no-op', async () => {
      await get().appendAudits([]);
      await get().appendAudits([audit(1), audit(2), audit(3)]);
      const rows = await get().listAudit();
      expect(rows.map((r) => r.correlationId)).toEqual(['call_1', 'call_2', 'call_3']);
      expect(rows[0]).toEqual({ ...audit(1), id: rows[0]!.id, durationMs: 13 });
    });

    it('filters by user, tool and afterId, oldest first unless newest first is asked', async () => {
      const r1 = await get().appendAudit(audit(1, 'u1', 'a.x'));
      const r2 = await get().appendAudit(audit(2, 'u2', 'a.x'));
      const r3 = await get().appendAudit(audit(3, 'u1', 'b.y'));
      const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
      expect(ids(await get().listAudit({ userId: 'u1' }))).toEqual([r1.id, r3.id]);
      expect(ids(await get().listAudit({ tool: 'a.x' }))).toEqual([r1.id, r2.id]);
      expect(ids(await get().listAudit({ afterId: r1.id }))).toEqual([r2.id, r3.id]);
      expect(ids(await get().listAudit({ newestFirst: true, limit: 2 }))).toEqual([r3.id, r2.id]);
    });
  });

  describe('event filters', () => {
    it('filters events by type and returns the newest first when asked', async () => {
      const e1 = await get().appendEvent(event('alert', 'c1', 1));
      const e2 = await get().appendEvent(event('refreshed', 'c1', 2));
      const e3 = await get().appendEvent(event('alert', 'c2', 3));
      const e4 = await get().appendEvent(event('alert', 'c1', 4));
      const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
      expect(ids(await get().listEvents({ type: 'alert' }))).toEqual([e1.id, e3.id, e4.id]);
      expect(ids(await get().listEvents({ type: 'alert', connectionId: 'c1', newestFirst: true }))).toEqual([
        e4.id,
        e1.id,
      ]);
      expect(ids(await get().listEvents({ newestFirst: true, limit: 2 }))).toEqual([e4.id, e3.id]);
      expect(ids(await get().listEvents({ newestFirst: true, afterId: e2.id }))).toEqual([e4.id, e3.id]);
    });
  });

  describe('key rotation', () => {
    it('lists connections and in-flight consent verifiers sealed under other keys, up to the limit', async () => {
      await connect(get(), 'u1', 'slack', { grant: grant('t1', { secret: secret('t1', 'k_old') }) });
      await connect(get(), 'u2', 'slack', { grant: grant('t2', { secret: secret('t2', 'k_new') }) });
      await connect(get(), 'u3', 'slack', { grant: grant('t3', { secret: secret('t3', 'k_old') }) });
      // A consent waiting for its callback holds a sealed verifier; a created one holds none.
      const waiting = await get().createConsent(newConsent('u4', 'github'));
      await get().markRedirected(
        waiting.linkId,
        { oauthState: 'st_4', verifier: secret('v4', 'k_old'), callbackExpiresAt: T0 + 10 * MINUTE },
        T0,
      );
      await get().createConsent(newConsent('u5', 'github'));

      const found = await get().listSealed({ notKeyId: 'k_new', limit: 10 });
      expect(found.map((r) => `${r.kind}:${r.id}`).sort()).toEqual([
        `connection:conn_u1_slack`,
        `connection:conn_u3_slack`,
        `consent:${waiting.authId}`,
      ]);
      const conn = found.find((r) => r.id === 'conn_u1_slack')!;
      expect(conn).toMatchObject({ kind: 'connection', version: 1, secret: { keyId: 'k_old' } });
      expect(new TextDecoder().decode(conn.secret.blob)).toBe('t1');
      expect(found.find((r) => r.kind === 'consent')).toMatchObject({
        version: null,
        secret: { keyId: 'k_old' },
      });
      expect(await get().listSealed({ notKeyId: 'k_new', limit: 2 })).toHaveLength(2);
      expect((await get().sealedKeyIds()).sort()).toEqual(['k_new', 'k_old']);
      expect(await get().listSealed({ notKeyId: 'k_old', limit: 10 })).toHaveLength(1);
    });

    it('re-seals a connection in place without bumping its version or touching its lease', async () => {
      const row = await connect(get(), 'u1', 'slack', {
        grant: grant('t1', { secret: secret('t1', 'k_old') }),
      });
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      const [ref] = await get().listSealed({ notKeyId: 'k_new', limit: 1 });
      expect(await get().resealSecret(ref!, secret('t1-new', 'k_new'))).toBe(true);
      const after = await get().getConnectionById(row.id);
      expect(after).toMatchObject({ version: 1, leaseOwner: 'w1', secret: { keyId: 'k_new' } });
      expect(new TextDecoder().decode(after!.secret.blob)).toBe('t1-new');
      // The refresh that held the lease commits over it as if nothing happened.
      expect(
        await get().commitRefresh(row.id, 'w1', 1, grant('t2', { secret: secret('t2', 'k_old') }), T0 + 1),
      ).toMatchObject({ version: 2, secret: { keyId: 'k_old' } });
      expect(await get().listSealed({ notKeyId: 'k_new', limit: 10 })).toHaveLength(1);
    });

    it('refuses a re-seal when the row moved on: new tokens, another version, or gone', async () => {
      const row = await connect(get(), 'u1', 'slack', {
        grant: grant('t1', { secret: secret('t1', 'k_old') }),
      });
      const [stale] = await get().listSealed({ notKeyId: 'k_new', limit: 1 });
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      await get().commitRefresh(row.id, 'w1', 1, grant('t2', { secret: secret('t2', 'k_old') }), T0 + 1);
      expect(await get().resealSecret(stale!, secret('t1-new', 'k_new'))).toBe(false);
      const current = await get().getConnectionById(row.id);
      expect(new TextDecoder().decode(current!.secret.blob)).toBe('t2');

      const [fresh] = await get().listSealed({ notKeyId: 'k_new', limit: 1 });
      await get().updateConnection(row.id, { state: 'disabled' }, T0 + 2);
      expect(await get().resealSecret(fresh!, secret('t2-new', 'k_new'))).toBe(false);
      const [again] = await get().listSealed({ notKeyId: 'k_new', limit: 1 });
      await get().deleteConnection(row.id);
      expect(await get().resealSecret(again!, secret('t2-new', 'k_new'))).toBe(false);
    });

    it('re-seals a consent verifier only while it is the one that was read', async () => {
      const c = await get().createConsent(newConsent('u4', 'github'));
      await get().markRedirected(
        c.linkId,
        { oauthState: 'st_x', verifier: secret('v', 'k_old'), callbackExpiresAt: T0 + 10 * MINUTE },
        T0,
      );
      const [ref] = await get().listSealed({ notKeyId: 'k_new', limit: 1 });
      expect(await get().resealSecret(ref!, secret('v-new', 'k_new'))).toBe(true);
      expect((await get().getConsent(c.authId))?.verifier).toMatchObject({ keyId: 'k_new' });
      expect(await get().resealSecret(ref!, secret('v-newer', 'k_new'))).toBe(false);
      expect(await get().listSealed({ notKeyId: 'k_new', limit: 10 })).toEqual([]);
    });
  });
}
