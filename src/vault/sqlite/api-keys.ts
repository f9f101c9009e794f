import type { StatementCache } from './statements.js';
import type { ApiKeyRecord } from '../records.js';
import { toApiKey } from '../rows.js';
import type { ApiKeyMethods } from '../store-parts.js';

/** The API-key part of the SQLite store. */

const INSERT = `INSERT INTO api_keys (id, user_id, name, hash, created_at)
  VALUES (@id, @user_id, @name, @hash, @created_at) RETURNING *`;
// COALESCE keeps the first revocation time when a key is revoked twice.
const REVOKE = 'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *';

export function apiKeyMethods(s: StatementCache): ApiKeyMethods {
  return {
    async createApiKey(k) {
      const row = s.get<ApiKeyRecord>(INSERT).get({
        id: k.id,
        user_id: k.userId,
        name: k.name,
        hash: k.hash,
        created_at: k.createdAt,
      });
      if (row === undefined) throw new Error('api key insert returned no row');
      return toApiKey(row);
    },

    async getApiKey(id) {
      const row = s.get<ApiKeyRecord>('SELECT * FROM api_keys WHERE id = ?').get(id);
      return row === undefined ? null : toApiKey(row);
    },

    async listApiKeys(filter = {}) {
      const rows =
        filter.userId === undefined
          ? s.get<ApiKeyRecord>('SELECT * FROM api_keys ORDER BY created_at, id').all()
          : s
              .get<ApiKeyRecord>('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at, id')
              .all(filter.userId);
      return rows.map(toApiKey);
    },

    async hasApiKeys() {
      return s.get('SELECT 1 FROM api_keys LIMIT 1').get() !== undefined;
    },

    async revokeApiKey(id, now) {
      const row = s.get<ApiKeyRecord>(REVOKE).get(now, id);
      return row === undefined ? null : toApiKey(row);
    },

    async touchApiKey(id, now) {
      s.get('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, id);
    },
  };
}
