import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { createPeople, type People } from '../server/web/people.js';
import type { Store } from '../vault/types.js';
import type { Config } from './config.js';

/**
 * The people in browsers, as this install's configuration says (DESIGN.md "People in the browser"): its
 * sign-in, user verifier and opt-out, and whether it is hosted — any API key, a JWT issuer, or a public URL
 * off loopback (asked each time: the first `apikeys create` makes an install hosted while it runs).
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface AppPeople {
  people: People;
  hosted(): Promise<boolean>;
  /** Logs what an operator must know at start: no way to verify people, or verification turned off. */
  warn(): Promise<void>;
}

export function buildPeople(o: {
  config: Config;
  store: () => Store;
  clock: Clock;
  log: Logger;
  publicUrl: () => string;
  fetch?: typeof fetch;
}): AppPeople {
  const { config, log } = o;
  const hosted = async (): Promise<boolean> =>
    config.jwt !== undefined ||
    !LOOPBACK_HOSTS.has(new URL(o.publicUrl()).hostname) ||
    (await o.store().hasApiKeys());
  const people = createPeople({
    store: o.store,
    clock: o.clock,
    log,
    publicUrl: o.publicUrl,
    extraOrigins: config.http.allowedOrigins,
    oidc: config.signIn.oidc,
    signInLinks: config.signIn.links,
    verifier: config.userVerifier,
    optOut: config.userVerification === 'off',
    hosted,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  return {
    people,
    hosted,
    async warn() {
      const mode = await people.verification.mode();
      if (mode === 'declared')
        log.warn(
          'user verification is off (userVerification: "off"): whoever holds a connect link can finish it for its user; set up sign-in or a user verifier',
        );
      if (mode === 'unavailable')
        log.warn(
          'hosted mode without sign-in or a user verifier: connect links are refused until one is configured (TOOLVAULT_SIGNIN_*, TOOLVAULT_USER_VERIFIER_*), or TOOLVAULT_USER_VERIFICATION=off',
        );
    },
  };
}
