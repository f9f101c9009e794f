import { grantValues } from './connections.js';
import type { PgDb, Queryable } from './db.js';
import type { ConnectionRecord, ConsentRecord } from '../records.js';
import { toBuffer, toConnection, toConsent } from '../rows.js';
import type { ConsentMethods } from '../store-parts.js';
import { ConnectionIdMismatchError, ConsentStateError, type ConnectionRow } from '../types.js';

/** The consent half of the PostgreSQL store; the same transitions as SQLite, one statement or transaction each. */

const INSERT = `INSERT INTO consents (auth_id, link_id, user_id, provider, scopes, reason, status, created_at, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, 'created', $7, $8)
  RETURNING *`;
const MARK_REDIRECTED = `UPDATE consents SET status = 'redirected', oauth_state = $3,
    verifier = $4, verifier_key_id = $5, callback_expires_at = $6
  WHERE link_id = $1 AND status = 'created' AND expires_at > $2
  RETURNING *`;
const CLAIM = `UPDATE consents SET status = 'exchanging'
  WHERE auth_id = $1 AND status = 'redirected' AND (callback_expires_at IS NULL OR callback_expires_at > $2)
  RETURNING *`;
const FAIL = `UPDATE consents SET status = 'failed', error = $2, finished_at = $3, verifier = NULL,
    verifier_key_id = NULL
  WHERE auth_id = $1 AND status IN ('created', 'redirected', 'exchanging')`;
const COMPLETE = `UPDATE consents SET status = 'completed', finished_at = $2, connection_id = $3,
    verifier = NULL, verifier_key_id = NULL
  WHERE auth_id = $1`;
// Grant columns are $3..$11 (grantValues order), then $1 = id and $2 = now.
const RECONNECT = `UPDATE connections SET
    secret = $3, key_id = $4, scopes = $5, account = $6,
    access_expires_at = $7, access_issued_at = $8, refresh_due_at = $9, next_check_at = $10,
    refresh_expires_at = $11, refresh_lost_at = NULL, state = 'healthy',
    failure_streak = 0, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL,
    version = version + 1, updated_at = $2
  WHERE id = $1 RETURNING *`;
// A concurrent consent for the same (user, provider) may insert first: DO NOTHING then returns no row, and
// the caller finds that row's id.
const CONNECT = `INSERT INTO connections (id, created_at, secret, key_id, scopes, account,
    access_expires_at, access_issued_at, refresh_due_at, next_check_at, refresh_expires_at, user_id, provider,
    state, failure_streak, version, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'healthy', 0, 1, $2)
  ON CONFLICT (user_id, provider) DO NOTHING
  RETURNING *`;
const HOLD = `UPDATE consents SET switch_account = $2, switch_token_hash = $3, callback_expires_at = $4
  WHERE auth_id = $1 AND status = 'exchanging'
  RETURNING *`;
const TAKE = `UPDATE consents SET switch_token_hash = NULL
  WHERE switch_token_hash = $1 AND status = 'exchanging'
    AND (callback_expires_at IS NULL OR callback_expires_at > $2)
  RETURNING *`;
const REARM = `UPDATE consents SET status = 'redirected', oauth_state = $2, verifier = $3, verifier_key_id = $4,
    callback_expires_at = $5, expected_account = $6, switch_token_hash = NULL
  WHERE auth_id = $1 AND status = 'exchanging'
  RETURNING *`;
const BY_USER_PROVIDER = 'SELECT * FROM connections WHERE user_id = $1 AND provider = $2';

const one = (r: ConsentRecord | undefined) => (r === undefined ? null : toConsent(r));

async function complete(
  q: Queryable,
  authId: string,
  connectionId: string,
  grant: Parameters<ConsentMethods['completeConsent']>[2],
  now: number,
): Promise<ConnectionRow> {
  const consent = await q.one<ConsentRecord>('SELECT * FROM consents WHERE auth_id = $1 FOR UPDATE', [
    authId,
  ]);
  if (consent?.status !== 'exchanging') {
    throw new ConsentStateError(authId, consent === undefined ? null : toConsent(consent).status);
  }
  const values = [connectionId, now, ...grantValues(grant)];
  const existing = await q.one<ConnectionRecord>(`${BY_USER_PROVIDER} FOR UPDATE`, [
    consent.user_id,
    consent.provider,
  ]);
  // The secret was sealed with connectionId as its additional data (see the SQLite store).
  if (existing !== undefined && existing.id !== connectionId)
    throw new ConnectionIdMismatchError(existing.id);
  let row =
    existing === undefined
      ? await q.one<ConnectionRecord>(CONNECT, [...values, consent.user_id, consent.provider])
      : await q.one<ConnectionRecord>(RECONNECT, values);
  if (row === undefined && existing === undefined) {
    const winner = await q.one<ConnectionRecord>(BY_USER_PROVIDER, [consent.user_id, consent.provider]);
    if (winner === undefined) throw new Error('connection vanished inside a transaction');
    if (winner.id !== connectionId) throw new ConnectionIdMismatchError(winner.id);
    row = await q.one<ConnectionRecord>(RECONNECT, values);
  }
  if (row === undefined) throw new Error('connection write returned no row');
  await q.run(COMPLETE, [authId, now, connectionId]);
  return toConnection(row);
}

export function pgConsentMethods(db: PgDb): ConsentMethods {
  return {
    async createConsent(c) {
      const row = await db.one<ConsentRecord>(INSERT, [
        c.authId,
        c.linkId,
        c.userId,
        c.provider,
        JSON.stringify(c.scopes),
        c.reason,
        c.createdAt,
        c.expiresAt,
      ]);
      if (row === undefined) throw new Error('consent insert returned no row');
      return toConsent(row);
    },

    async getConsent(authId) {
      return one(await db.one<ConsentRecord>('SELECT * FROM consents WHERE auth_id = $1', [authId]));
    },

    async getConsentByLink(linkId) {
      return one(await db.one<ConsentRecord>('SELECT * FROM consents WHERE link_id = $1', [linkId]));
    },

    async getConsentByState(oauthState) {
      return one(await db.one<ConsentRecord>('SELECT * FROM consents WHERE oauth_state = $1', [oauthState]));
    },

    async markRedirected(linkId, update, now) {
      return one(
        await db.one<ConsentRecord>(MARK_REDIRECTED, [
          linkId,
          now,
          update.oauthState,
          toBuffer(update.verifier.blob),
          update.verifier.keyId,
          update.callbackExpiresAt,
        ]),
      );
    },

    async claimCallback(authId, now) {
      return one(await db.one<ConsentRecord>(CLAIM, [authId, now]));
    },

    async failConsent(authId, error, now) {
      await db.run(FAIL, [authId, error, now]);
    },

    async completeConsent(authId, connectionId, grant, now) {
      return db.tx((q) => complete(q, authId, connectionId, grant, now));
    },

    async holdForSwitch(authId, hold) {
      return one(
        await db.one<ConsentRecord>(HOLD, [authId, JSON.stringify(hold.account), hold.tokenHash, hold.until]),
      );
    },

    async takeSwitch(tokenHash, now) {
      return one(await db.one<ConsentRecord>(TAKE, [tokenHash, now]));
    },

    async rearmConsent(authId, update) {
      return one(
        await db.one<ConsentRecord>(REARM, [
          authId,
          update.oauthState,
          toBuffer(update.verifier.blob),
          update.verifier.keyId,
          update.callbackExpiresAt,
          update.expectedAccount,
        ]),
      );
    },
  };
}
