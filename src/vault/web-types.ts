import type { SealedSecret } from './seal.js';

/**
 * What toolvault's own web pages keep: sessions of people signed in to toolvault, single-use tickets (sign-in
 * links, sign-in and user-verifier round trips, a browser's binding to a consent in flight), and the tokens of
 * a code exchange held sealed until the person in the browser is proven to be the consent's user. Part of the
 * `Store` contract (types.ts). Sessions and tickets are stored only as hashes of what the browser holds.
 */

/** A person signed in to toolvault's pages; what `currentUser(req)` finds. */
export interface WebSessionRow {
  /** sha256 (hex) of the session id in the browser's cookie; the id itself is never stored. */
  idHash: string;
  userId: string;
  /** How the person proved who they are: `oidc` (the operator's identity provider) or `link` (CLI link). */
  method: string;
  createdAt: number;
  expiresAt: number;
  /** Set by sign-out: an ended session never comes back. */
  endedAt: number | null;
}

export type NewWebSession = Omit<WebSessionRow, 'endedAt'>;

/** A single-use, expiring capability, kept as the sha256 of what its holder presents. */
export interface WebTicketRow {
  hash: string;
  /** `signin_link`, `signin_oidc`, `verify_request`, `flow`: a ticket is only ever taken as its own kind. */
  kind: string;
  /** The user it names (a sign-in link's), or null. */
  userId: string | null;
  /** Bookkeeping for the round trip (a return path, an auth id, an OIDC nonce); never a secret. */
  data: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export type NewWebTicket = Omit<WebTicketRow, 'usedAt'>;

/** Tokens from a code exchange, sealed and inactive until the person is proven to be `userId`. */
export interface HeldGrantRow {
  /** The consent they came from; one held grant per consent. */
  authId: string;
  userId: string;
  provider: string;
  /** The normalized grant, sealed with `held:<authId>` as additional data. */
  secret: SealedSecret;
  createdAt: number;
  expiresAt: number;
}

export interface WebStore {
  createWebSession(session: NewWebSession): Promise<WebSessionRow>;
  /** The session if it is neither ended nor expired at `now`; null otherwise. */
  getWebSession(idHash: string, now: number): Promise<WebSessionRow | null>;
  /** Ends a live session; false when it is unknown or already ended. */
  endWebSession(idHash: string, now: number): Promise<boolean>;

  createTicket(ticket: NewWebTicket): Promise<WebTicketRow>;
  /** The ticket if it is of `kind`, unused and unexpired at `now`, without using it; null otherwise. */
  peekTicket(hash: string, kind: string, now: number): Promise<WebTicketRow | null>;
  /** Uses the ticket once (sets usedAt): the row, or null when unknown, of another kind, used or expired. */
  takeTicket(hash: string, kind: string, now: number): Promise<WebTicketRow | null>;

  /** Holds a grant for its consent, replacing one held before for the same consent. */
  holdGrant(grant: HeldGrantRow): Promise<void>;
  /** Removes and returns the consent's held grant if unexpired at `now`; null otherwise (expired: removed). */
  takeHeldGrant(authId: string, now: number): Promise<HeldGrantRow | null>;

  /** Deletes sessions, tickets and held grants expired at `now`; returns how many rows went. */
  purgeWeb(now: number): Promise<number>;
}
