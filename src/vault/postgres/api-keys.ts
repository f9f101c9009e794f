import type { PgDb } from './db.js';
import type { ApiKeyRecord } from '../records.js';
import { toApiKey } from '../rows.js';
import type { ApiKeyMethods } from '../store-parts.js';

/** The API-key half of the PostgreSQL store. */
export function pgApiKeyMethods(db: PgDb): ApiKeyMethods {
  const one = (r: ApiKeyRecord | undefined) => (r === undefined ? null : toApiKey(r));
  return {
    async createApiKey(k) {
      const row = await db.one<ApiKeyRecord>(
        `INSERT INTO api_keys (id, user_id, name, hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [k.id, k.userId, k.name, k.hash, k.createdAt],
      );
      if (row === undefined) throw new Error('api key insert returned no row');
      return toApiKey(row);
    },

    async getApiKey(id) {
      return one(await db.one<ApiKeyRecord>('SELECT * FROM api_keys WHERE id = $1', [id]));
    },

    async listApiKeys(filter = {}) {
      const rows =
        filter.userId === undefined
          ? await db.all<ApiKeyRecord>('SELECT * FROM api_keys ORDER BY created_at, id COLLATE "C"')
          : await db.all<ApiKeyRecord>(
              'SELECT * FROM api_keys WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"',
              [filter.userId],
            );
      return rows.map(toApiKey);
    },

    async hasApiKeys() {
      return (await db.one('SELECT 1 FROM api_keys LIMIT 1')) !== undefined;
    },

    async revokeApiKey(id, now) {
      return one(
        await db.one<ApiKeyRecord>(
          'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING *',
          [id, now],
        ),
      );
    },

    async touchApiKey(id, now) {
      await db.run('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, now]);
    },
  };
}
