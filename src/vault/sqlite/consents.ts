import { grantParams } from './connections.js';
import type { StatementCache } from './statements.js';
import type { ConnectionRecord, ConsentRecord } from '../records.js';
import { toBuffer, toConnection, toConsent } from '../rows.js';
import type { ConsentMethods } from '../store-parts.js';
import { ConnectionIdMismatchError, ConsentStateError } from '../types.js';

/** The consent part of the SQLite store. */

const INSERT = `INSERT INTO consents (auth_id, link_id, user_id, provider, scopes, reason, status, created_at, expires_at)
  VALUES (@auth_id, @link_id, @user_id, @provider, @scopes, @reason, 'created', @created_at, @expires_at)
  RETURNING *`;
const MARK_REDIRECTED = `UPDATE consents SET status = 'redirected', oauth_state = @oauth_state,
    verifier = @verifier, verifier_key_id = @verifier_key_id, callback_expires_at = @callback_expires_at
  WHERE link_id = @link_id AND status = 'created' AND expires_at > @now
  RETURNING *`;
// The callback deadline is enforced here too, so an expired state can never reach the token endpoint even
// if a caller forgets to check it; the consent stays `redirected` for the caller to fail with its reason.
const CLAIM = `UPDATE consents SET status = 'exchanging'
  WHERE auth_id = ? AND status = 'redirected' AND (callback_expires_at IS NULL OR callback_expires_at > ?)
  RETURNING *`;
// A finished consent has no further use for its PKCE verifier; secure_delete then zeroes it on disk.
const FAIL = `UPDATE consents SET status = 'failed', error = ?, finished_at = ?, verifier = NULL, verifier_key_id = NULL
  WHERE auth_id = ? AND status IN ('created', 'redirected', 'exchanging')`;
const COMPLETE = `UPDATE consents SET status = 'completed', finished_at = ?, connection_id = ?,
    verifier = NULL, verifier_key_id = NULL
  WHERE auth_id = ?`;
const RECONNECT = `UPDATE connections SET
    secret = @secret, key_id = @key_id, scopes = @scopes, account = @account,
    access_expires_at = @access_expires_at, access_issued_at = @access_issued_at,
    refresh_due_at = @refresh_due_at, next_check_at = @next_check_at,
    refresh_expires_at = @refresh_expires_at, refresh_lost_at = NULL,
    state = 'healthy', failure_streak = 0, last_error = NULL,
    lease_owner = NULL, lease_expires_at = NULL, version = version + 1, updated_at = @now
  WHERE id = @id RETURNING *`;
const CONNECT = `INSERT INTO connections (id, user_id, provider, state, scopes, account, secret, key_id,
    access_expires_at, access_issued_at, refresh_due_at, next_check_at, refresh_expires_at,
    failure_streak, version, created_at, updated_at)
  VALUES (@id, @user_id, @provider, 'healthy', @scopes, @account, @secret, @key_id,
    @access_expires_at, @access_issued_at, @refresh_due_at, @next_check_at, @refresh_expires_at,
    0, 1, @now, @now)
  RETURNING *`;
const HOLD = `UPDATE consents SET switch_account = @account, switch_token_hash = @hash,
    callback_expires_at = @until
  WHERE auth_id = @auth_id AND status = 'exchanging'
  RETURNING *`;
// Single use: the token is cleared as it is taken.
const TAKE = `UPDATE consents SET switch_token_hash = NULL
  WHERE switch_token_hash = @hash AND status = 'exchanging'
    AND (callback_expires_at IS NULL OR callback_expires_at > @now)
  RETURNING *`;
const REARM = `UPDATE consents SET status = 'redirected', oauth_state = @oauth_state, verifier = @verifier,
    verifier_key_id = @verifier_key_id, callback_expires_at = @callback_expires_at,
    expected_account = @expected_account, switch_token_hash = NULL
  WHERE auth_id = @auth_id AND status = 'exchanging'
  RETURNING *`;

export function consentMethods(s: StatementCache): ConsentMethods {
  const byAuthId = (authId: string): ConsentRecord | undefined =>
    s.get<ConsentRecord>('SELECT * FROM consents WHERE auth_id = ?').get(authId);
  const one = (r: ConsentRecord | undefined) => (r === undefined ? null : toConsent(r));

  return {
    async createConsent(c) {
      const row = s.get<ConsentRecord>(INSERT).get({
        auth_id: c.authId,
        link_id: c.linkId,
        user_id: c.userId,
        provider: c.provider,
        scopes: JSON.stringify(c.scopes),
        reason: c.reason,
        created_at: c.createdAt,
        expires_at: c.expiresAt,
      });
      if (row === undefined) throw new Error('consent insert returned no row');
      return toConsent(row);
    },

    async getConsent(authId) {
      return one(byAuthId(authId));
    },

    async getConsentByLink(linkId) {
      return one(s.get<ConsentRecord>('SELECT * FROM consents WHERE link_id = ?').get(linkId));
    },

    async getConsentByState(oauthState) {
      return one(s.get<ConsentRecord>('SELECT * FROM consents WHERE oauth_state = ?').get(oauthState));
    },

    async markRedirected(linkId, update, now) {
      return s.immediate(() =>
        one(
          s.get<ConsentRecord>(MARK_REDIRECTED).get({
            link_id: linkId,
            now,
            oauth_state: update.oauthState,
            verifier: toBuffer(update.verifier.blob),
            verifier_key_id: update.verifier.keyId,
            callback_expires_at: update.callbackExpiresAt,
          }),
        ),
      );
    },

    async claimCallback(authId, now) {
      return s.immediate(() => one(s.get<ConsentRecord>(CLAIM).get(authId, now)));
    },

    async failConsent(authId, error, now) {
      s.immediate(() => s.get(FAIL).run(error, now, authId));
    },

    async completeConsent(authId, connectionId, grant, now) {
      return s.immediate(() => {
        const consent = byAuthId(authId);
        if (consent?.status !== 'exchanging') {
          throw new ConsentStateError(authId, consent === undefined ? null : toConsent(consent).status);
        }
        const existing = s
          .get<ConnectionRecord>('SELECT * FROM connections WHERE user_id = ? AND provider = ?')
          .get(consent.user_id, consent.provider);
        // The secret was sealed with connectionId as its additional data; storing it under another id would
        // make it unopenable, so refuse before writing anything and let the caller re-seal.
        if (existing !== undefined && existing.id !== connectionId)
          throw new ConnectionIdMismatchError(existing.id);
        const params = { ...grantParams(grant), id: connectionId, now };
        const row =
          existing === undefined
            ? s
                .get<ConnectionRecord>(CONNECT)
                .get({ ...params, user_id: consent.user_id, provider: consent.provider })
            : s.get<ConnectionRecord>(RECONNECT).get(params);
        if (row === undefined) throw new Error('connection write returned no row');
        s.get(COMPLETE).run(now, connectionId, authId);
        return toConnection(row);
      });
    },

    async holdForSwitch(authId, hold, _now) {
      return s.immediate(() =>
        one(
          s.get<ConsentRecord>(HOLD).get({
            auth_id: authId,
            account: JSON.stringify(hold.account),
            hash: hold.tokenHash,
            until: hold.until,
          }),
        ),
      );
    },

    async takeSwitch(tokenHash, now) {
      return s.immediate(() => one(s.get<ConsentRecord>(TAKE).get({ hash: tokenHash, now })));
    },

    async rearmConsent(authId, update, _now) {
      return s.immediate(() =>
        one(
          s.get<ConsentRecord>(REARM).get({
            auth_id: authId,
            oauth_state: update.oauthState,
            verifier: toBuffer(update.verifier.blob),
            verifier_key_id: update.verifier.keyId,
            callback_expires_at: update.callbackExpiresAt,
            expected_account: update.expectedAccount,
          }),
        ),
      );
    },
  };
}
