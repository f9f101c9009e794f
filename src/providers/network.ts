/**
 * Network failures (undici puts the code in `cause.code`) that prove a request never reached the provider:
 * the connection was refused, the name did not resolve, the host was unreachable, or connecting timed out.
 * Only these make it safe to send a request again, a write included (DESIGN, "Rules of the road"). One list
 * for the API client and the refresh classifier.
 */
export const NEVER_REACHED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
]);
