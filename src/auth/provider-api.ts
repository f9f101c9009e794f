import type { ErrorKind, ToolOutcomeKind } from '../contract.js';
import type { ApiClient, ApiRequestOptions, ApiResult } from '../providers/api-client.js';
import type { ApiSignal } from '../providers/types.js';
import type { StartResult } from './consent/links.js';

/**
 * The API client a tool gets: retry the request, not the tool (DESIGN, "The way a call travels").
 *
 * `request` sends one request and resolves with the provider's answer: success, or the request's own failure
 * in `error` (GitHub 404, Slack `channel_not_found`) for the tool to explain. Credential and transport
 * signals never reach the tool:
 * - a 401-equivalent (`expired_access`, `revoked`): one refresh through the refresher (single-flight), then
 *   that same request again with the new token. At most one refresh per call;
 * - a network error that provably never reached the provider: that same request again, once;
 * - anything else (a rate limit, a missing scope, a 5xx, a lost response, a 401 after the refresh, a refresh
 *   that failed) ends the call: `request` throws {@link CallStopped} with the typed failure. Only the access
 *   step of the pipeline (`AccessSession.run`) catches it; a tool never does, and its `run` executes once.
 *
 * `optional` is for a request whose failure must not fail the call (a read after a write already acted):
 * it resolves null where `request` would stop the call, with no consequence for the connection, and it is
 * not the call's "last request" for the judge.
 *
 * Every request is written to a {@link WireLog}: did any reach the provider, and how did the last one end.
 * The write judge (tools/kit/judge.ts) reads that, not the tool's result.
 */

/** Why a call could not go on, in the outside's terms; the tools' kit turns it into a result. */
export type AccessFailure =
  | { type: 'auth_required'; providerName: string; start: Extract<StartResult, { status: 'pending' }> }
  | {
      type: 'error';
      kind: ErrorKind | Extract<ToolOutcomeKind, 'disabled'>;
      message: string;
      retryable: boolean;
      retryAfterSeconds?: number;
      code?: string;
    };

export type AccessResult<T> = { ok: true; value: T } | { ok: false; failure: AccessFailure };

/** The provider's answer as a tool sees it: never a credential or transport signal. */
export type ApiReply = Omit<ApiResult, 'signal'>;

export interface ProviderApi {
  /** One request; resolves with the answer or ends the call (see the file comment). */
  request(method: string, path: string, options?: ApiRequestOptions): Promise<ApiReply>;
  /** One request whose failure must not fail the call: null where `request` would end it. */
  optional(method: string, path: string, options?: ApiRequestOptions): Promise<ApiReply | null>;
}

/** How the last request of a call ended. */
export type LastRequest =
  /** The provider answered; `refused` when it declined the request itself (`error` set, or a status >= 400). */
  | { ended: 'answered'; status: number; refused: boolean }
  /** A credential or transport signal ended it (after any refresh and resend). */
  | { ended: 'stopped'; signal: ApiSignal };

/** What a call's requests did, recorded as they go. */
export interface WireLog {
  /** Requests that may have reached the provider: every one but those that provably never did. */
  reached: number;
  /** The last request `request` sent; null before the first. */
  last: LastRequest | null;
}

/** Ends a call from inside a tool's `run`; caught only by the pipeline's access step. */
export class CallStopped extends Error {
  override readonly name = 'CallStopped';
  constructor(readonly failure: AccessFailure) {
    super(`provider call stopped: ${failure.type === 'error' ? failure.kind : failure.type}`);
  }
}

/** What the API client needs from the access broker. */
export interface ProviderApiDeps {
  /** A raw client carrying the connection's current access token. */
  client(): ApiClient;
  /** A reactive refresh; on success, `client()` carries the new token. */
  refresh(): Promise<AccessResult<unknown>>;
  /** What a signal that ends the call means (a scope gap asks for consent, a rate limit says when...). */
  stop(signal: ApiSignal): Promise<AccessFailure>;
}

type Sent = { reply: ApiReply } | { signal: ApiSignal; failure?: AccessFailure };

export function createProviderApi(d: ProviderApiDeps, wire: WireLog): ProviderApi {
  let refreshed = false;

  const send = async (method: string, path: string, options?: ApiRequestOptions): Promise<Sent> => {
    for (let attempt = 1; ; attempt++) {
      const { signal, ...reply } = await d.client().request(method, path, options);
      const neverReached = signal?.kind === 'transient' && signal.neverReached === true;
      if (!neverReached) wire.reached++;
      if (!signal) return { reply };
      if ((signal.kind === 'expired_access' || signal.kind === 'revoked') && !refreshed) {
        // A 401 means the provider did not act: refresh once and send this request again.
        refreshed = true;
        const fresh = await d.refresh();
        if (!fresh.ok) return { signal, failure: fresh.failure };
        continue;
      }
      if (neverReached && attempt === 1) continue;
      return { signal };
    }
  };

  return {
    async request(method, path, options) {
      const sent = await send(method, path, options);
      if ('reply' in sent) {
        const { status, error } = sent.reply;
        wire.last = { ended: 'answered', status, refused: error !== null || status >= 400 };
        return sent.reply;
      }
      wire.last = { ended: 'stopped', signal: sent.signal };
      throw new CallStopped(sent.failure ?? (await d.stop(sent.signal)));
    },
    async optional(method, path, options) {
      const sent = await send(method, path, options);
      return 'reply' in sent ? sent.reply : null;
    },
  };
}
