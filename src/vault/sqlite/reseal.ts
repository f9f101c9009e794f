import type { StatementCache } from './statements.js';
import type { SealedRecord } from '../records.js';
import { toBuffer, toSealedRef } from '../rows.js';
import type { ResealMethods } from '../store-parts.js';

/** Key rotation's part of the SQLite store. */

const LIST = `SELECT 'connection' AS kind, id, version, key_id, secret AS blob FROM connections WHERE key_id <> @key
  UNION ALL
  SELECT 'consent' AS kind, auth_id AS id, NULL AS version, verifier_key_id AS key_id, verifier AS blob
    FROM consents WHERE verifier_key_id IS NOT NULL AND verifier_key_id <> @key
  LIMIT @limit`;

// Compare-and-swap on the exact bytes (and the version): a refresh that committed meanwhile wins, and the
// version stays put so a refresh still in flight commits over this write without noticing it.
const RESEAL_CONNECTION = `UPDATE connections SET secret = @blob, key_id = @key_id
  WHERE id = @id AND version = @version AND key_id = @old_key_id AND secret = @old_blob`;
const RESEAL_CONSENT = `UPDATE consents SET verifier = @blob, verifier_key_id = @key_id
  WHERE auth_id = @id AND verifier_key_id = @old_key_id AND verifier = @old_blob`;

const KEY_IDS = `SELECT DISTINCT key_id FROM connections
  UNION SELECT DISTINCT verifier_key_id FROM consents WHERE verifier_key_id IS NOT NULL`;

export function resealMethods(s: StatementCache): ResealMethods {
  return {
    async sealedKeyIds() {
      return s
        .get<{ key_id: string }>(KEY_IDS)
        .all()
        .map((r) => r.key_id);
    },

    async listSealed({ notKeyId, limit }) {
      return s.get<SealedRecord>(LIST).all({ key: notKeyId, limit }).map(toSealedRef);
    },

    async resealSecret(ref, secret) {
      const params = {
        id: ref.id,
        blob: toBuffer(secret.blob),
        key_id: secret.keyId,
        old_key_id: ref.secret.keyId,
        old_blob: toBuffer(ref.secret.blob),
      };
      if (ref.kind === 'consent') return s.get(RESEAL_CONSENT).run(params).changes === 1;
      if (ref.version === null) return false;
      return s.get(RESEAL_CONNECTION).run({ ...params, version: ref.version }).changes === 1;
    },
  };
}
