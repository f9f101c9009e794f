import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ConfiguredProvider } from '../../providers/types.js';
import type { OAuthClients } from '../oauth-client.js';
import type { RefreshObserver } from './observer.js';
import type { Vault } from '../../vault/vault.js';

/** Why a refresh was asked for (logged, and on the `refreshed` event). */
export type RefreshReason = 'proactive' | 'reactive' | 'preflight' | 'health' | 'doctor';

/** What the refresher (refresher.ts) and its failure handling (failure.ts) work with. */
export interface RefreshDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  oauth: OAuthClients;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** How long a lease holds; longer than a token call may take (openid-client times out at 15 s). */
  leaseMs?: number;
  /** Real ms between renewals of a held lease; 0 disables (tests simulating a frozen holder). */
  renewMs?: number;
  /** Real-time poll interval while another worker holds the lease. */
  pollMs?: number;
  /** Real ms a probe may take; kept well inside the lease. */
  probeTimeoutMs?: number;
  random?: () => number;
  /** Told of failures and recoveries (ops/episodes.ts makes them alert episodes); one shared per app. */
  episodes: RefreshObserver;
  /** Real ms between tries of a refresh token inside a reuse grace window after a lost response. */
  graceRetryMs?: number;
}
