import type { StatementCache } from './statements.js';
import { toBuffer } from '../rows.js';
import {
  type HeldGrantRecord,
  toHeldGrant,
  toWebSession,
  toWebTicket,
  type WebMethods,
  type WebSessionRecord,
  type WebTicketRecord,
} from '../web-records.js';

/** The web part of the SQLite store: sessions, single-use tickets and held grants (web-types.ts). */

export const WEB_SQL = {
  insertSession: `INSERT INTO web_sessions (id_hash, user_id, method, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?) RETURNING *`,
  getSession: 'SELECT * FROM web_sessions WHERE id_hash = ? AND ended_at IS NULL AND expires_at > ?',
  endSession: 'UPDATE web_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL',
  insertTicket: `INSERT INTO web_tickets (hash, kind, user_id, data, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  peekTicket: `SELECT * FROM web_tickets WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?`,
  // Single use: the conditional update is what makes a second taker lose, in either dialect.
  takeTicket: `UPDATE web_tickets SET used_at = ?
    WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING *`,
  deleteHeld: 'DELETE FROM held_grants WHERE auth_id = ? RETURNING *',
  purgeSessions: 'DELETE FROM web_sessions WHERE expires_at <= ?',
  purgeTickets: 'DELETE FROM web_tickets WHERE expires_at <= ?',
  purgeHeld: 'DELETE FROM held_grants WHERE expires_at <= ?',
} as const;

const HOLD = `INSERT INTO held_grants (auth_id, user_id, provider, secret, key_id, created_at, expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (auth_id) DO UPDATE SET user_id = excluded.user_id, provider = excluded.provider,
    secret = excluded.secret, key_id = excluded.key_id, created_at = excluded.created_at,
    expires_at = excluded.expires_at`;

export function webMethods(s: StatementCache): WebMethods {
  return {
    async createWebSession(x) {
      const row = s
        .get<WebSessionRecord>(WEB_SQL.insertSession)
        .get(x.idHash, x.userId, x.method, x.createdAt, x.expiresAt);
      if (row === undefined) throw new Error('session insert returned no row');
      return toWebSession(row);
    },
    async getWebSession(idHash, now) {
      const row = s.get<WebSessionRecord>(WEB_SQL.getSession).get(idHash, now);
      return row === undefined ? null : toWebSession(row);
    },
    async endWebSession(idHash, now) {
      return s.get(WEB_SQL.endSession).run(now, idHash).changes > 0;
    },
    async createTicket(t) {
      const row = s
        .get<WebTicketRecord>(WEB_SQL.insertTicket)
        .get(t.hash, t.kind, t.userId, JSON.stringify(t.data), t.createdAt, t.expiresAt);
      if (row === undefined) throw new Error('ticket insert returned no row');
      return toWebTicket(row);
    },
    async peekTicket(hash, kind, now) {
      const row = s.get<WebTicketRecord>(WEB_SQL.peekTicket).get(hash, kind, now);
      return row === undefined ? null : toWebTicket(row);
    },
    async takeTicket(hash, kind, now) {
      const row = s.immediate(() => s.get<WebTicketRecord>(WEB_SQL.takeTicket).get(now, hash, kind, now));
      return row === undefined ? null : toWebTicket(row);
    },
    async holdGrant(g) {
      s.get(HOLD).run(
        g.authId,
        g.userId,
        g.provider,
        toBuffer(g.secret.blob),
        g.secret.keyId,
        g.createdAt,
        g.expiresAt,
      );
    },
    async takeHeldGrant(authId, now) {
      const row = s.immediate(() => s.get<HeldGrantRecord>(WEB_SQL.deleteHeld).get(authId));
      return row === undefined || row.expires_at <= now ? null : toHeldGrant(row);
    },
    async purgeWeb(now) {
      return s.immediate(
        () =>
          s.get(WEB_SQL.purgeSessions).run(now).changes +
          s.get(WEB_SQL.purgeTickets).run(now).changes +
          s.get(WEB_SQL.purgeHeld).run(now).changes,
      );
    },
  };
}
