/** A consent flow that cannot go on: shown to the person as a page that says why; nothing is stored. */
export class ConsentProblem extends Error {
  override readonly name = 'ConsentProblem';
  constructor(
    readonly code:
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
      | 'disabled',
    readonly title: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}
