import type { PgDb } from './db.js';
import type { AuditRowRecord, SealedRecord } from '../records.js';
import { toAudit, toBuffer, toSealedRef } from '../rows.js';
import { type AuditMethods, DEFAULT_AUDIT_LIMIT, type ResealMethods } from '../store-parts.js';
import type { NewAuditRecord } from '../types.js';

/** The operators' half of the PostgreSQL store: the audit trail and what key rotation needs. */

const INSERT_AUDIT = `INSERT INTO audit (at, user_id, tool, provider, status, kind, duration_ms, correlation_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`;

/** An audit record's column values, in INSERT_AUDIT's order. */
const auditValues = (a: NewAuditRecord): unknown[] => [
  a.at,
  a.userId,
  a.tool,
  a.provider,
  a.status,
  a.kind,
  Math.max(0, Math.round(a.durationMs)),
  a.correlationId,
];

export function pgAuditMethods(db: PgDb): AuditMethods {
  return {
    async appendAudits(records) {
      if (records.length === 0) return;
      // One multi-row INSERT: one round trip and one commit per batch.
      const params: unknown[] = [];
      const rows = records.map((a) => {
        const base = params.length;
        params.push(...auditValues(a));
        return `(${Array.from({ length: 8 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
      });
      await db.run(
        `INSERT INTO audit (at, user_id, tool, provider, status, kind, duration_ms, correlation_id) VALUES ${rows.join(', ')}`,
        params,
      );
    },

    async appendAudit(a) {
      const row = await db.one<AuditRowRecord>(INSERT_AUDIT, auditValues(a));
      if (row === undefined) throw new Error('audit insert returned no row');
      return toAudit(row);
    },

    async listAudit(filter = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      const add = (sql: string, value: string | number) => {
        params.push(value);
        where.push(`${sql} $${params.length}`);
      };
      if (filter.userId !== undefined) add('user_id =', filter.userId);
      if (filter.tool !== undefined) add('tool =', filter.tool);
      if (filter.afterId !== undefined) add('id >', filter.afterId);
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      params.push(filter.limit ?? DEFAULT_AUDIT_LIMIT);
      const order = filter.newestFirst ? 'DESC' : 'ASC';
      const sql = `SELECT * FROM audit${clause} ORDER BY id ${order} LIMIT $${params.length}`;
      return (await db.all<AuditRowRecord>(sql, params)).map(toAudit);
    },
  };
}

const LIST_SEALED = `SELECT 'connection' AS kind, id, version, key_id, secret AS blob FROM connections
    WHERE key_id <> $1
  UNION ALL
  SELECT 'consent' AS kind, auth_id AS id, NULL AS version, verifier_key_id AS key_id, verifier AS blob
    FROM consents WHERE verifier_key_id IS NOT NULL AND verifier_key_id <> $1
  LIMIT $2`;
// Compare-and-swap on the exact bytes and the version, as the SQLite store does.
const RESEAL_CONNECTION = `UPDATE connections SET secret = $2, key_id = $3
  WHERE id = $1 AND key_id = $4 AND secret = $5 AND version = $6`;
const RESEAL_CONSENT = `UPDATE consents SET verifier = $2, verifier_key_id = $3
  WHERE auth_id = $1 AND verifier_key_id = $4 AND verifier = $5`;

const KEY_IDS = `SELECT DISTINCT key_id FROM connections
  UNION SELECT DISTINCT verifier_key_id FROM consents WHERE verifier_key_id IS NOT NULL`;

export function pgResealMethods(db: PgDb): ResealMethods {
  return {
    async sealedKeyIds() {
      return (await db.all<{ key_id: string }>(KEY_IDS, [])).map((r) => r.key_id);
    },

    async listSealed({ notKeyId, limit }) {
      return (await db.all<SealedRecord>(LIST_SEALED, [notKeyId, limit])).map(toSealedRef);
    },

    async resealSecret(ref, secret) {
      const params = [
        ref.id,
        toBuffer(secret.blob),
        secret.keyId,
        ref.secret.keyId,
        toBuffer(ref.secret.blob),
      ];
      if (ref.kind === 'consent') return (await db.run(RESEAL_CONSENT, params)) === 1;
      if (ref.version === null) return false;
      return (await db.run(RESEAL_CONNECTION, [...params, ref.version])) === 1;
    },
  };
}
