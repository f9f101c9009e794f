import type { PgDb } from './db.js';
import {
  type HeldGrantRecord,
  toHeldGrant,
  toWebSession,
  toWebTicket,
  type WebMethods,
  type WebSessionRecord,
  type WebTicketRecord,
} from '../web-records.js';

/** `?` placeholders as `$1..$n`: the web statements are the same in both dialects otherwise. */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const Q = {
  insertSession: `INSERT INTO web_sessions (id_hash, user_id, method, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5) RETURNING *`,
  getSession: numbered(
    'SELECT * FROM web_sessions WHERE id_hash = ? AND ended_at IS NULL AND expires_at > ?',
  ),
  endSession: numbered('UPDATE web_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL'),
  insertTicket: `INSERT INTO web_tickets (hash, kind, user_id, data, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
  peekTicket: numbered(
    'SELECT * FROM web_tickets WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?',
  ),
  takeTicket: numbered(`UPDATE web_tickets SET used_at = ?
    WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING *`),
  hold: `INSERT INTO held_grants (auth_id, user_id, provider, secret, key_id, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (auth_id) DO UPDATE SET user_id = excluded.user_id, provider = excluded.provider,
      secret = excluded.secret, key_id = excluded.key_id, created_at = excluded.created_at,
      expires_at = excluded.expires_at`,
  deleteHeld: 'DELETE FROM held_grants WHERE auth_id = $1 RETURNING *',
};

/** The web half of the PostgreSQL store. */
export function pgWebMethods(db: PgDb): WebMethods {
  return {
    async createWebSession(x) {
      const row = await db.one<WebSessionRecord>(Q.insertSession, [
        x.idHash,
        x.userId,
        x.method,
        x.createdAt,
        x.expiresAt,
      ]);
      if (row === undefined) throw new Error('session insert returned no row');
      return toWebSession(row);
    },
    async getWebSession(idHash, now) {
      const row = await db.one<WebSessionRecord>(Q.getSession, [idHash, now]);
      return row === undefined ? null : toWebSession(row);
    },
    async endWebSession(idHash, now) {
      return (await db.run(Q.endSession, [now, idHash])) > 0;
    },
    async createTicket(t) {
      const row = await db.one<WebTicketRecord>(Q.insertTicket, [
        t.hash,
        t.kind,
        t.userId,
        JSON.stringify(t.data),
        t.createdAt,
        t.expiresAt,
      ]);
      if (row === undefined) throw new Error('ticket insert returned no row');
      return toWebTicket(row);
    },
    async peekTicket(hash, kind, now) {
      const row = await db.one<WebTicketRecord>(Q.peekTicket, [hash, kind, now]);
      return row === undefined ? null : toWebTicket(row);
    },
    async takeTicket(hash, kind, now) {
      const row = await db.one<WebTicketRecord>(Q.takeTicket, [now, hash, kind, now]);
      return row === undefined ? null : toWebTicket(row);
    },
    async holdGrant(g) {
      await db.run(Q.hold, [
        g.authId,
        g.userId,
        g.provider,
        Buffer.from(g.secret.blob),
        g.secret.keyId,
        g.createdAt,
        g.expiresAt,
      ]);
    },
    async takeHeldGrant(authId, now) {
      const row = await db.one<HeldGrantRecord>(Q.deleteHeld, [authId]);
      return row === undefined || row.expires_at <= now ? null : toHeldGrant(row);
    },
    async purgeWeb(now) {
      return db.tx(async (q) => {
        let n = 0;
        for (const table of ['web_sessions', 'web_tickets', 'held_grants'])
          n += await q.run(`DELETE FROM ${table} WHERE expires_at <= $1`, [now]);
        return n;
      });
    },
  };
}
