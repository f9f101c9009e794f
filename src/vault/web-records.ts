import type { HeldGrantRow, Store, WebSessionRow, WebTicketRow } from './types.js';

/**
 * The web part's rows as both dialects return them, and their readers (records.ts and rows.ts keep the
 * other parts').
 */

/** The web part of the Store (web-types.ts): sessions, single-use tickets and held grants. */
export type WebMethods = Pick<
  Store,
  | 'createWebSession'
  | 'getWebSession'
  | 'endWebSession'
  | 'createTicket'
  | 'peekTicket'
  | 'takeTicket'
  | 'holdGrant'
  | 'takeHeldGrant'
  | 'purgeWeb'
>;

/** Rows as both dialects return them. */
export interface WebSessionRecord {
  id_hash: string;
  user_id: string;
  method: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}
export interface WebTicketRecord {
  hash: string;
  kind: string;
  user_id: string | null;
  data: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
export interface HeldGrantRecord {
  auth_id: string;
  user_id: string;
  provider: string;
  secret: Uint8Array;
  key_id: string;
  created_at: number;
  expires_at: number;
}

export function toWebSession(r: WebSessionRecord): WebSessionRow {
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    method: r.method,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    endedAt: r.ended_at,
  };
}

export function toWebTicket(r: WebTicketRecord): WebTicketRow {
  return {
    hash: r.hash,
    kind: r.kind,
    userId: r.user_id,
    data: JSON.parse(r.data) as Record<string, unknown>,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
  };
}

export function toHeldGrant(r: HeldGrantRecord): HeldGrantRow {
  // A copy: callers get a plain Uint8Array, never a driver's Buffer over a shared pool.
  const blob = new Uint8Array(r.secret.byteLength);
  blob.set(r.secret);
  return {
    authId: r.auth_id,
    userId: r.user_id,
    provider: r.provider,
    secret: { keyId: r.key_id, blob },
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}
