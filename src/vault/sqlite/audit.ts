import type { StatementCache } from './statements.js';
import type { AuditRowRecord } from '../records.js';
import { toAudit } from '../rows.js';
import { type AuditMethods, DEFAULT_AUDIT_LIMIT } from '../store-parts.js';
import type { NewAuditRecord } from '../types.js';

/** The audit trail part of the SQLite store: one row per tool call. */

const INSERT = `INSERT INTO audit (at, user_id, tool, provider, status, kind, duration_ms, correlation_id)
  VALUES (@at, @user_id, @tool, @provider, @status, @kind, @duration_ms, @correlation_id) RETURNING *`;

const INSERT_ONLY = `INSERT INTO audit (at, user_id, tool, provider, status, kind, duration_ms, correlation_id)
  VALUES (@at, @user_id, @tool, @provider, @status, @kind, @duration_ms, @correlation_id)`;

const auditParams = (a: NewAuditRecord) => ({
  at: a.at,
  user_id: a.userId,
  tool: a.tool,
  provider: a.provider,
  status: a.status,
  kind: a.kind,
  duration_ms: Math.max(0, Math.round(a.durationMs)),
  correlation_id: a.correlationId,
});

export function auditMethods(s: StatementCache): AuditMethods {
  return {
    async appendAudits(records) {
      const insert = s.get(INSERT_ONLY);
      s.immediate(() => {
        for (const a of records) {
          insert.run(auditParams(a));
        }
      });
    },

    async appendAudit(a) {
      const row = s.get<AuditRowRecord>(INSERT).get(auditParams(a));
      if (row === undefined) throw new Error('audit insert returned no row');
      return toAudit(row);
    },

    async listAudit(filter = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.userId !== undefined) {
        where.push('user_id = ?');
        params.push(filter.userId);
      }
      if (filter.tool !== undefined) {
        where.push('tool = ?');
        params.push(filter.tool);
      }
      if (filter.afterId !== undefined) {
        where.push('id > ?');
        params.push(filter.afterId);
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      params.push(filter.limit ?? DEFAULT_AUDIT_LIMIT);
      const order = filter.newestFirst ? 'DESC' : 'ASC';
      return s
        .get<AuditRowRecord>(`SELECT * FROM audit${clause} ORDER BY id ${order} LIMIT ?`)
        .all(...params)
        .map(toAudit);
    },
  };
}
