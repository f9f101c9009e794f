import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ConfiguredProvider } from '../../providers/types.js';
import type { OAuthClients } from '../oauth-client.js';
import type { Vault } from '../../vault/vault.js';

/** What the consent flow works with: the links (links.ts) and the callback (callback.ts) share it. */
export interface ConsentDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  oauth: OAuthClients;
  clock: Clock;
  log: Logger;
  /** Base of links and of the redirect URI; a function because port 0 is known only after listening. */
  publicUrl: () => string;
  /** For the probe that names the account when a token response does not (GitHub). */
  fetch?: typeof fetch;
  /** Jitter of the first refresh due time (default Math.random). */
  random?: () => number;
  /**
   * A connection whose refresh token ends within this long gets a fresh link from `start` (the expiry
   * warning's way for the owner to reconnect; the warning itself carries no link). Default 0.
   */
  renewBeforeMs?: number;
}
