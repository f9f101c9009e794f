interface StoredCookie {
  name: string;
  value: string;
  /** Lower-cased host (host-only cookie) or Domain attribute without the leading dot. */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  /** Epoch ms; Infinity for session cookies. */
  expiresAt: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A small RFC 6265 cookie jar: host-only and Domain cookies, Path prefix matching, Max-Age/Expires, and
 * Secure cookies only over https or loopback (as browsers treat localhost). Like a browser it ignores the
 * port, so toolvault and a provider on two ports of 127.0.0.1 share cookies — name clashes show up in tests.
 */
export class CookieJar {
  #cookies: StoredCookie[] = [];

  /** Stores the cookies of a response to a request for `url`. */
  store(url: URL, setCookieHeaders: string[]): void {
    for (const header of setCookieHeaders) this.#storeOne(url, header);
  }

  /** The Cookie header value for a request to `url`, or undefined when nothing matches. */
  header(url: URL): string | undefined {
    const now = Date.now();
    this.#cookies = this.#cookies.filter((c) => c.expiresAt > now);
    const host = url.hostname.toLowerCase();
    const secureOk = url.protocol === 'https:' || LOOPBACK.has(host);
    const matching = this.#cookies
      .filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)))
      .filter((c) => pathMatches(url.pathname, c.path))
      .filter((c) => secureOk || !c.secure)
      // RFC 6265 §5.4: longer paths first.
      .sort((a, b) => b.path.length - a.path.length);
    if (!matching.length) return undefined;
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** Every stored cookie name, for debugging a test. */
  names(): string[] {
    return this.#cookies.map((c) => c.name);
  }

  clear(): void {
    this.#cookies = [];
  }

  #storeOne(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const host = url.hostname.toLowerCase();
    const cookie: StoredCookie = {
      name,
      value,
      domain: host,
      hostOnly: true,
      path: defaultPath(url.pathname),
      secure: false,
      expiresAt: Infinity,
    };
    let maxAgeSeen = false;
    for (const attribute of attributes) {
      const [rawKey = '', ...rest] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const attrValue = rest.join('=').trim();
      if (key === 'domain' && attrValue) {
        const domain = attrValue.replace(/^\./, '').toLowerCase();
        if (!domainMatches(host, domain)) return; // a server may not set cookies for another site
        cookie.domain = domain;
        cookie.hostOnly = false;
      } else if (key === 'path' && attrValue.startsWith('/')) {
        cookie.path = attrValue;
      } else if (key === 'secure') {
        cookie.secure = true;
      } else if (key === 'max-age') {
        const seconds = Number(attrValue);
        if (Number.isFinite(seconds)) {
          cookie.expiresAt = seconds <= 0 ? 0 : Date.now() + seconds * 1000;
          maxAgeSeen = true;
        }
      } else if (key === 'expires' && !maxAgeSeen) {
        // Max-Age wins over Expires whatever their order.
        const at = Date.parse(attrValue);
        if (!Number.isNaN(at)) cookie.expiresAt = at;
      }
    }
    this.#cookies = this.#cookies.filter(
      (c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path),
    );
    if (cookie.expiresAt > Date.now()) this.#cookies.push(cookie);
  }
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4: the request path up to, not including, its last slash. */
function defaultPath(requestPath: string): string {
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}
