import type { ResultKind } from '../../contract.js';

/** Why a consent flow cannot go on: a short code for the page, logs and the consent row. */
export type ConsentProblemCode =
  | 'unknown_link'
  | 'expired_link'
  | 'used_link'
  | 'unknown_state'
  | 'replayed_state'
  | 'expired_state'
  | 'missing_code'
  | 'provider_error'
  | 'token_endpoint'
  | 'provider_unavailable'
  | 'unknown_confirmation'
  | 'disabled'
  | 'not_this_browser'
  | 'wrong_user'
  | 'verification_unavailable'
  | 'verification_expired';

/**
 * What a consent problem means in the shared vocabulary, for a tool result: the codes name the flow's own
 * steps and stay on the page; an agent sees one of the result kinds (contract.ts).
 */
const KIND: Record<ConsentProblemCode, ResultKind> = {
  unknown_link: 'not_found',
  expired_link: 'invalid_request',
  used_link: 'invalid_request',
  unknown_state: 'invalid_request',
  replayed_state: 'invalid_request',
  expired_state: 'invalid_request',
  missing_code: 'invalid_request',
  unknown_confirmation: 'not_found',
  provider_error: 'unknown',
  token_endpoint: 'unknown',
  provider_unavailable: 'transient',
  disabled: 'disabled',
  not_this_browser: 'forbidden',
  wrong_user: 'forbidden',
  verification_unavailable: 'forbidden',
  verification_expired: 'invalid_request',
};

/** A consent flow that cannot go on: shown to the person as a page that says why; nothing is stored. */
export class ConsentProblem extends Error {
  override readonly name = 'ConsentProblem';
  constructor(
    readonly code: ConsentProblemCode,
    readonly title: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }

  /** The result kind a tool reports for this problem. */
  get kind(): ResultKind {
    return KIND[this.code];
  }
}
