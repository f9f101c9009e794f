import { ToolvaultError } from '../errors.js';
import { apiBaseFor } from './api-base.js';
import { NEVER_REACHED_CODES } from './network.js';
import { standardRequestError } from './standard-api.js';
import type {
  Account,
  ApiRequestError,
  ApiResponse,
  ApiSignal,
  ConfiguredProvider,
  ProbeVerdict,
  ProviderDeclaration,
} from './types.js';

/**
 * The only code that puts an access token on the wire for API calls: into the Authorization header of a
 * request under the provider's own `apiBaseUrl`, and nowhere else — not a URL, not an error, not a result.
 */

type Fetch = typeof fetch;
type QueryValue = string | number | boolean | undefined | readonly (string | number)[];

/** Options of one API request. `json` and `form` are exclusive. */
export interface ApiRequestOptions {
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: Record<string, string | number | boolean | undefined>;
  /** Extra headers; `authorization` and `cookie` are ignored. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * A response and what it means: `signal` is about the credential or transport (the auth layer acts on it:
 * refresh, scope update, backoff); `error` is the request's own failure (Slack `channel_not_found`, GitHub
 * 404/422), for the tool to explain — the connection is fine. Both null: success. A network failure or
 * timeout yields status 0 and a `transient` signal.
 */
export interface ApiResult extends ApiResponse {
  signal: ApiSignal | null;
  error: ApiRequestError | null;
}

/** An API client bound to one provider and one access token. */
export interface ApiClient {
  request(method: string, path: string, options?: ApiRequestOptions): Promise<ApiResult>;
}

/** Options of {@link createApiClient}. */
export interface ApiClientOptions {
  declaration: ProviderDeclaration;
  accessToken: string;
  /** The connection's values, for `{name}` placeholders of the API base (see api-base.ts). */
  values?: Readonly<Record<string, string>>;
  fetch?: Fetch;
  /** Per request, including redirects; default 30 s. */
  timeoutMs?: number;
  /** Milliseconds; reads Retry-After dates and reset times. */
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 3;

function normalizedBase(apiBaseUrl: string): URL {
  const base = new URL(apiBaseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  return base;
}

function isUnder(url: URL, base: URL): boolean {
  return (
    url.origin === base.origin &&
    url.username === '' &&
    url.password === '' &&
    (url.pathname + '/').startsWith(base.pathname)
  );
}

/**
 * Resolves `path` (relative, like `chat.postMessage` or `/repos/o/r`, or absolute) against `apiBaseUrl` and
 * refuses anything that lands outside it (another origin, `..` out of the base path, credentials in the URL):
 * the token goes to its own provider only. Throws ToolvaultError `config_error`, code `url_outside_api`.
 */
export function resolveApiUrl(apiBaseUrl: string, path: string): URL {
  const base = normalizedBase(apiBaseUrl);
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//');
  let url: URL;
  try {
    url = absolute ? new URL(path) : new URL(path.replace(/^\/+/, ''), base);
  } catch {
    throw new ToolvaultError('config_error', 'invalid API path', { code: 'url_outside_api' });
  }
  if (!isUnder(url, base)) {
    throw new ToolvaultError(
      'config_error',
      `refusing to send credentials outside ${base.origin}${base.pathname}`,
      {
        code: 'url_outside_api',
      },
    );
  }
  return url;
}

/** The signal for a request that got no response, without the error's text (it may name hosts or paths). */
export function networkSignal(err: unknown): ApiSignal {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return { kind: 'transient', code: 'timeout' };
  if (name === 'AbortError') return { kind: 'transient', code: 'aborted' };
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string' && NEVER_REACHED_CODES.has(code)) {
    return { kind: 'transient', code: code.toLowerCase(), neverReached: true };
  }
  return { kind: 'transient', code: typeof code === 'string' ? code.toLowerCase() : 'network_error' };
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return null;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends with redirects handled by hand: a redirect is followed only when it stays under `base` (GitHub 301s
 * renamed repositories), so the Authorization header never follows a redirect elsewhere.
 */
async function send(
  fetchImpl: Fetch,
  url: URL,
  out: Outgoing,
  base: URL | undefined,
  signal: AbortSignal,
): Promise<ApiResponse> {
  let current = url;
  let req = out;
  for (let hop = 0; ; hop++) {
    const init: RequestInit = { method: req.method, headers: req.headers, redirect: 'manual', signal };
    if (req.body !== undefined) init.body = req.body;
    const res = await fetchImpl(current.href, init);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location && base && hop < MAX_REDIRECTS) {
      const next = new URL(location, current);
      const keepsMethod =
        res.status === 307 || res.status === 308 || req.method === 'GET' || req.method === 'HEAD';
      if (isUnder(next, base) && (keepsMethod || res.status === 303)) {
        await res.body?.cancel();
        current = next;
        if (!keepsMethod) {
          const { body: _dropped, ...rest } = req;
          req = { ...rest, method: 'GET' };
        }
        continue;
      }
    }
    return { status: res.status, headers: res.headers, body: await readBody(res) };
  }
}

function buildHeaders(declaration: ProviderDeclaration, accessToken: string, extra?: Record<string, string>) {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [k, v] of Object.entries({ ...declaration.api?.headers, ...extra })) {
    const key = k.toLowerCase();
    if (key !== 'authorization' && key !== 'cookie') headers[key] = v;
  }
  // RFC 6750 §2.1; Slack's `user`/`bot` token types are sent as Bearer too.
  headers['authorization'] = `Bearer ${accessToken}`;
  return headers;
}

function timeoutSignal(timeoutMs: number, caller?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return caller ? AbortSignal.any([timeout, caller]) : timeout;
}

/** Creates a client for one provider and token. Throws when the declaration has no `apiBaseUrl`. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const { declaration, accessToken } = options;
  const apiBaseUrl = apiBaseFor(declaration, options.values);
  if (!apiBaseUrl) {
    throw new ToolvaultError('config_error', `${declaration.id} has no apiBaseUrl`, {
      code: 'no_api_base_url',
    });
  }
  const base = normalizedBase(apiBaseUrl);
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    async request(method, path, opts = {}) {
      const url = resolveApiUrl(apiBaseUrl, path);
      for (const [key, value] of Object.entries(opts.query ?? {})) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
        else url.searchParams.set(key, String(value));
      }
      const headers = buildHeaders(declaration, accessToken, opts.headers);
      const out: Outgoing = { method: method.toUpperCase(), headers };
      if (opts.json !== undefined) {
        // Slack warns `missing_charset` on JSON bodies without one.
        headers['content-type'] = 'application/json; charset=utf-8';
        out.body = JSON.stringify(opts.json);
      } else if (opts.form) {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(opts.form)) if (v !== undefined) form.set(k, String(v));
        headers['content-type'] = 'application/x-www-form-urlencoded';
        out.body = form.toString();
      }
      let response: ApiResponse;
      try {
        response = await send(fetchImpl, url, out, base, timeoutSignal(timeoutMs, opts.signal));
      } catch (err) {
        return { status: 0, headers: new Headers(), body: null, signal: networkSignal(err), error: null };
      }
      const signal = declaration.api?.inspect(response, now()) ?? null;
      const error = signal ? null : (declaration.api?.requestError ?? standardRequestError)(response);
      return { ...response, signal, error };
    },
  };
}

/** What a probe found: the verdict, who the token belongs to when alive, and the status seen (0: no answer). */
export interface ProbeResult {
  verdict: ProbeVerdict;
  account?: Account;
  status?: number;
}

/**
 * Asks the provider whether an access token is alive with the declaration's probe. Only `invalid` is
 * evidence against the token; a network failure, 5xx or 429 is `unknown` (seed 004: never downgrade on a
 * guess). The probe URL comes from the declaration (`userinfo`, absolute, or under `apiBaseUrl`).
 */
export async function probe(
  configured: ConfiguredProvider,
  accessToken: string,
  fetchImpl: Fetch = fetch,
  options: { timeoutMs?: number; values?: Readonly<Record<string, string>> } = {},
): Promise<ProbeResult> {
  const { declaration } = configured;
  const p = declaration.probe;
  if (!p) return { verdict: 'unknown' };
  const { userinfoUrl } = declaration.endpoints;
  let url: URL;
  if (p.path === 'userinfo') {
    if (!userinfoUrl) return { verdict: 'unknown' };
    url = new URL(userinfoUrl);
  } else if (/^https?:/i.test(p.path)) {
    url = new URL(p.path);
  } else {
    let apiBaseUrl: string | undefined;
    try {
      apiBaseUrl = apiBaseFor(declaration, options.values);
    } catch {
      // A connection without its values cannot be probed; that says nothing about its token.
      return { verdict: 'unknown' };
    }
    if (!apiBaseUrl) return { verdict: 'unknown' };
    url = resolveApiUrl(apiBaseUrl, p.path);
  }
  const headers = buildHeaders(declaration, accessToken);
  const out: Outgoing = { method: p.method, headers };
  if (p.json !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    out.body = JSON.stringify(p.json);
  }
  let response: ApiResponse;
  try {
    const signal = timeoutSignal(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    response = await send(fetchImpl, url, out, undefined, signal);
  } catch {
    return { verdict: 'unknown', status: 0 };
  }
  const verdict = p.judge(response);
  const account = verdict === 'valid' ? p.account?.(response) : undefined;
  return account ? { verdict, account, status: response.status } : { verdict, status: response.status };
}
