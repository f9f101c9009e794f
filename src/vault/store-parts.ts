import type { Store } from './types.js';

/**
 * The Store contract in the parts each dialect implements one file at a time (`sqlite/<part>.ts`,
 * `postgres/<part>.ts`); each dialect's store.ts spreads them into one Store.
 */

/** Connections and the refresh lease. */
export type ConnectionMethods = Pick<
  Store,
  | 'getConnection'
  | 'getConnectionById'
  | 'listConnections'
  | 'listDue'
  | 'updateConnection'
  | 'deleteConnection'
  | 'acquireLease'
  | 'commitRefresh'
  | 'releaseLease'
>;

/** Consents, including the one transaction that turns a consent into a connection. */
export type ConsentMethods = Pick<
  Store,
  | 'createConsent'
  | 'getConsent'
  | 'getConsentByLink'
  | 'getConsentByState'
  | 'markRedirected'
  | 'claimCallback'
  | 'failConsent'
  | 'completeConsent'
  | 'holdForSwitch'
  | 'takeSwitch'
  | 'rearmConsent'
>;

/** The event history. */
export type EventMethods = Pick<Store, 'appendEvent' | 'listEvents'>;

/** Open alert episodes: a row per open episode, its key the primary key. */
export type EpisodeMethods = Pick<Store, 'openEpisode' | 'noteEpisode' | 'closeEpisode' | 'listEpisodes'>;

/** Idempotency keys: claim in one transaction, then finish or release. */
export type IdempotencyMethods = Pick<
  Store,
  | 'claimIdempotencyKey'
  | 'completeIdempotencyKey'
  | 'markIdempotencyKeyUncertain'
  | 'releaseIdempotencyKey'
  | 'getIdempotencyKey'
  | 'purgeIdempotencyKeys'
>;

/** HTTP callers' API keys. */
export type ApiKeyMethods = Pick<
  Store,
  'createApiKey' | 'getApiKey' | 'listApiKeys' | 'hasApiKeys' | 'revokeApiKey' | 'touchApiKey'
>;

/** The audit trail: one row per tool call. */
export type AuditMethods = Pick<Store, 'appendAudit' | 'appendAudits' | 'listAudit'>;

/** Key rotation's part: find secrets sealed under other keys, swap them in place. */
export type ResealMethods = Pick<Store, 'listSealed' | 'resealSecret' | 'sealedKeyIds'>;

/** Events returned when a caller does not say how many. */
export const DEFAULT_EVENT_LIMIT = 1000;

/** Audit records returned when a caller does not say how many. */
export const DEFAULT_AUDIT_LIMIT = 1000;
