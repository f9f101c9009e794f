import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A parsed incoming request, as the provider-specific routers see it. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Query, form and JSON scalar fields merged (body wins), as strings. */
  params: Record<string, string>;
  /** The parsed JSON body, when the request declared JSON and it parsed. */
  json: unknown;
  /** True when a JSON content type came with a body that does not parse. */
  badJson: boolean;
  rawBody: string;
}

/** What a handler answers; the server layer decides whether it is delivered. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are (set content-type in headers). */
  body?: unknown;
}

/** One request as the fake saw it. `status` is null when nothing was answered. */
export interface RequestRecord {
  seq: number;
  method: string;
  path: string;
  /** The route key faults are keyed by (a Slack method name, a GitHub `METHOD /template`). */
  key: string;
  /** The credential presented: an API token, or the refresh token / code sent to the token endpoint. */
  token: string | null;
  grantType: string | null;
  status: number | null;
  /** The injected fault that shaped this answer, if any. */
  fault: string | null;
  params: Record<string, string>;
}

/** Infrastructure faults both fakes inject. `lose_response` processes the request, then drops the socket. */
export type BaseFault = '500' | 500 | '503_html' | 'timeout' | 'reset' | 'lose_response' | 'ratelimited';

/** A fault: a named kind, a kind with options, or a literal reply. */
export type FaultSpec<K extends string> =
  | BaseFault
  | K
  | { kind: 'ratelimited' | K; retryAfter?: number; status?: number }
  | { error: string }
  | { reply: Reply };

/** How a router routes one request: its key, the credential it carries, and the work to do. */
export interface Dispatch {
  key: string;
  token: string | null;
  grantType?: string | null;
  run: () => Reply;
}

interface FakeHttpOptions<K extends string> {
  route: (req: FakeRequest) => Dispatch;
  /** Renders a fault that answers (everything but timeout, reset and lose_response). */
  renderFault: (fault: FaultSpec<K>, req: FakeRequest, key: string) => Reply;
  /** Every key `failNext` may name, so a typo throws instead of never firing. */
  keys: readonly string[];
}

/** The running server and the controls shared by both fakes. */
export interface FakeHttp<K extends string> {
  url: string;
  close(): Promise<void>;
  failNext(key: string, fault: FaultSpec<K>, count?: number): void;
  requests(): RequestRecord[];
  clearRequests(): void;
}

export function faultName(fault: FaultSpec<string>): string {
  if (typeof fault === 'number') return String(fault);
  if (typeof fault === 'string') return fault;
  if ('kind' in fault) return fault.kind;
  if ('error' in fault) return `error:${fault.error}`;
  return `reply:${fault.reply.status}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRequest(req: IncomingMessage, rawBody: string): FakeRequest {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const type = String(req.headers['content-type'] ?? '');
  let json: unknown;
  let badJson = false;
  if (type.includes('application/json') && rawBody !== '') {
    try {
      json = JSON.parse(rawBody);
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
        for (const [k, v] of Object.entries(json)) {
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = String(v);
        }
      }
    } catch {
      badJson = true;
    }
  } else if (rawBody !== '') {
    // Both providers take form bodies; treat any non-JSON body as one, as they do.
    Object.assign(params, Object.fromEntries(new URLSearchParams(rawBody)));
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    params,
    json,
    badJson,
    rawBody,
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload = '';
  if (typeof reply.body === 'string') payload = reply.body;
  else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * Starts an HTTP server on 127.0.0.1 port 0 that records every request and applies queued faults
 * before (or, for `lose_response`, after) the provider logic runs.
 */
export async function startFakeHttp<K extends string>(opts: FakeHttpOptions<K>): Promise<FakeHttp<K>> {
  const records: RequestRecord[] = [];
  const faults = new Map<string, { fault: FaultSpec<K>; remaining: number }[]>();
  let seq = 0;

  const takeFault = (key: string): FaultSpec<K> | undefined => {
    const queue = faults.get(key);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const parsed = parseRequest(req, await readBody(req));
      const dispatch = opts.route(parsed);
      const record: RequestRecord = {
        seq: ++seq,
        method: parsed.method,
        path: parsed.path,
        key: dispatch.key,
        token: dispatch.token,
        grantType: dispatch.grantType ?? null,
        status: null,
        fault: null,
        params: parsed.params,
      };
      records.push(record);
      const fault = takeFault(dispatch.key);
      if (fault !== undefined) record.fault = faultName(fault);
      if (fault === 'timeout') return; // never answer; close() tears the socket down
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'lose_response') {
        // The provider acted (rotated a token, posted a message) but the caller never hears of it.
        dispatch.run();
        req.socket.destroy();
        return;
      }
      const reply = fault === undefined ? dispatch.run() : opts.renderFault(fault, parsed, dispatch.key);
      record.status = reply.status;
      send(res, reply);
    })().catch((err: unknown) => {
      res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`fake crashed: ${String(err)}`);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    failNext: (key, fault, count = 1) => {
      if (!opts.keys.includes(key))
        throw new Error(`unknown route key ${key}; one of: ${opts.keys.join(', ')}`);
      const queue = faults.get(key) ?? [];
      queue.push({ fault, remaining: count });
      faults.set(key, queue);
    },
    requests: () => records.map((r) => ({ ...r, params: { ...r.params } })),
    clearRequests: () => {
      records.length = 0;
    },
  };
}

/** Reads `Authorization: Basic` client credentials, if present. */
export function basicCredentials(headers: IncomingHttpHeaders): { id: string; secret: string } | null {
  const match = /^Basic\s+(.+)$/i.exec(String(headers.authorization ?? ''));
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  return {
    id: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

/** Builds a 302 to `base` with extra query parameters, keeping any it already has. */
export function redirect(base: string, params: Record<string, string | undefined>): Reply {
  const target = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
  return { status: 302, headers: { location: target.toString() } };
}

/** A small HTML page, as providers answer browser-facing errors and proxies answer 5xx. */
export function htmlReply(status: number, title: string): Reply {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`,
  };
}
