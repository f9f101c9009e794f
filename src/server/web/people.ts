import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { Store, WebTicketRow } from '../../vault/types.js';
import { FlowBinding } from './flow-binding.js';
import { FormBinding } from './form-binding.js';
import { WebSessions } from './sessions.js';
import { OidcSignIn, type OidcSignInConfig } from './signin-oidc.js';
import { UserVerifier, type UserVerifierConfig } from './user-verifier.js';
import { Verification } from './verification.js';

/**
 * Everything the web app knows about the people in browsers, built once: sessions and sign-in, the form and
 * flow bindings, the user verifier, and the policy that joins them. Connect pages use it today; the
 * connector's consent (/mcp's authorization server) and approval pages are meant to use the same pieces.
 */

export interface PeopleOptions {
  store: () => Store;
  clock: Clock;
  log: Logger;
  publicUrl: () => string;
  /** Origins besides the public URL's that our forms may be posted from (TOOLVAULT_ALLOWED_ORIGINS). */
  extraOrigins?: string[];
  oidc?: OidcSignInConfig | undefined;
  /** CLI sign-in links count as the install's verification method. */
  signInLinks?: boolean;
  verifier?: UserVerifierConfig | undefined;
  optOut?: boolean;
  hosted: () => Promise<boolean>;
  fetch?: typeof fetch;
}

export interface People {
  sessions: WebSessions;
  /** Single-use tickets at the app's clock. */
  tickets: {
    peek(hash: string, kind: string): Promise<WebTicketRow | null>;
    take(hash: string, kind: string): Promise<WebTicketRow | null>;
  };
  forms: FormBinding;
  flows: FlowBinding;
  oidc: OidcSignIn | undefined;
  verifier: UserVerifier | undefined;
  verification: Verification;
}

export function createPeople(o: PeopleOptions): People {
  const secure = (): boolean => o.publicUrl().startsWith('https:');
  const base = { store: o.store, clock: o.clock };
  const sessions = new WebSessions({ ...base, log: o.log, secure });
  const forms = new FormBinding({
    secure,
    origins: () => [new URL(o.publicUrl()).origin.toLowerCase(), ...(o.extraOrigins ?? [])],
  });
  const flows = new FlowBinding({ ...base, secure });
  const oidc = o.oidc
    ? new OidcSignIn(o.oidc, {
        ...base,
        publicUrl: o.publicUrl,
        secure,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      })
    : undefined;
  const verifier = o.verifier ? new UserVerifier(o.verifier, { ...base, publicUrl: o.publicUrl }) : undefined;
  const verification = new Verification({
    sessions,
    flows,
    signIn: oidc !== undefined || o.signInLinks === true,
    verifier,
    optOut: o.optOut === true,
    hosted: o.hosted,
  });
  const tickets = {
    peek: (hash: string, kind: string) => o.store().peekTicket(hash, kind, o.clock.now()),
    take: (hash: string, kind: string) => o.store().takeTicket(hash, kind, o.clock.now()),
  };
  return { sessions, tickets, forms, flows, oidc, verifier, verification };
}
