import { CookieJar } from './cookie-jar.js';

/** A loaded page, after redirects. */
export interface Page {
  /** Where the browser ended up (with `stopAt`: the redirect target it did not follow). */
  url: string;
  status: number;
  html: string;
  headers: Headers;
  /** Every URL requested for this navigation, in order, starting with the first. */
  redirects: string[];
  /** True when a redirect pointed under a `stopAt` prefix and was not followed. */
  stopped: boolean;
}

/** A form as a browser would submit it. */
export interface Form {
  action: string;
  method: 'GET' | 'POST';
  fields: Record<string, string>;
}

export interface NavigateOptions {
  /** Do not follow a redirect whose target starts with one of these (e.g. an OAuth redirect_uri). */
  stopAt?: string | string[];
}

export interface BrowserOptions extends NavigateOptions {
  /** Redirects followed per navigation before giving up. Default 20. */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A tiny headless browser over real HTTP: global fetch with manual redirects, a cookie jar, and form
 * submission. Enough for consent flows; no JavaScript, no extra packages.
 */
export class Browser {
  readonly cookies = new CookieJar();
  readonly #opts: BrowserOptions;

  constructor(opts: BrowserOptions = {}) {
    this.#opts = opts;
  }

  /** GETs `url` and follows redirects. */
  get(url: string, opts: NavigateOptions = {}): Promise<Page> {
    return this.#navigate(url, 'GET', undefined, opts);
  }

  /**
   * POSTs urlencoded `fields` to `url` and follows redirects. Like a browser, it sends an `Origin`: the
   * submitting page's (`from`), by default the target's own (a same-origin form).
   */
  post(
    url: string,
    fields: Record<string, string>,
    opts: NavigateOptions & { from?: string } = {},
  ): Promise<Page> {
    const origin = new URL(opts.from ?? url).origin;
    return this.#navigate(url, 'POST', new URLSearchParams(fields).toString(), opts, origin);
  }

  /** Submits the first form of `page`, with `fields` overriding (or adding to) its own values. */
  submitForm(page: Page, fields: Record<string, string> = {}, opts: NavigateOptions = {}): Promise<Page> {
    const form = parseForm(page.html, page.url);
    if (!form) throw new Error(`no <form> on ${page.url} (status ${page.status}): ${textSnippet(page.html)}`);
    const values = { ...form.fields, ...fields };
    if (form.method === 'POST') return this.post(form.action, values, { ...opts, from: page.url });
    const target = new URL(form.action);
    target.search = new URLSearchParams(values).toString();
    return this.get(target.href, opts);
  }

  async #navigate(
    start: string,
    method: string,
    body: string | undefined,
    opts: NavigateOptions,
    origin?: string,
  ): Promise<Page> {
    const stopAt = toArray(opts.stopAt ?? this.#opts.stopAt);
    const max = this.#opts.maxRedirects ?? 20;
    const redirects: string[] = [];
    let url = new URL(start);
    for (;;) {
      redirects.push(url.href);
      const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml,*/*' };
      const cookie = this.cookies.header(url);
      if (cookie) headers['cookie'] = cookie;
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      // Browsers send Origin on every POST; a redirect to another origin makes it `null`.
      if (method === 'POST' && origin !== undefined)
        headers['origin'] = redirects.length === 1 || url.origin === origin ? origin : 'null';
      const res = await fetch(url, { method, headers, body: body ?? null, redirect: 'manual' });
      this.cookies.store(url, res.headers.getSetCookie());
      const html = await res.text();
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || location === null) {
        return { url: url.href, status: res.status, html, headers: res.headers, redirects, stopped: false };
      }
      const next = new URL(location, url);
      if (stopAt.some((prefix) => next.href.startsWith(prefix))) {
        return { url: next.href, status: res.status, html, headers: res.headers, redirects, stopped: true };
      }
      if (redirects.length > max) {
        throw new Error(`more than ${max} redirects from ${start}: ${redirects.join(' -> ')}`);
      }
      // 307/308 repeat the request as is; the others turn it into a GET (what browsers do for 301/302 too).
      if (res.status !== 307 && res.status !== 308) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }
}

/** Options of {@link completeConsent}. */
export interface ConsentOptions {
  /** Typed into any form field called `name` (the demo provider's sign-in). */
  name?: string;
  /** Other values for fields the forms have. */
  fields?: Record<string, string>;
  /** Reuse a browser (its cookies: an existing provider session). */
  browser?: Browser;
  /** Decides that the flow is over. Default: back on the connect link's site, outside the provider. */
  isFinal?: (page: Page) => boolean;
  /** Form submissions before giving up. Default 10. */
  maxSteps?: number;
}

/**
 * Walks a consent flow like a person would: opens the connect link, submits each form it sees (Continue,
 * then the provider's sign-in with `name`), and returns the first page back on toolvault's side — the
 * callback's result page. The provider is whatever the connect form redirects to; the flow is over once a
 * page is on the link's origin and, when the provider shares that origin (the mounted demo), outside the
 * folder of the provider's authorization endpoint.
 */
export async function completeConsent(authUrl: string, opts: ConsentOptions = {}): Promise<Page> {
  const browser = opts.browser ?? new Browser();
  const home = new URL(authUrl).origin;
  const wanted: Record<string, string> = {
    ...opts.fields,
    ...(opts.name === undefined ? {} : { name: opts.name }),
  };
  let providerPrefix: string | undefined;
  const isFinal =
    opts.isFinal ??
    ((page: Page) => {
      if (providerPrefix === undefined) return false;
      const url = new URL(page.url);
      return url.origin === home && !page.url.startsWith(providerPrefix);
    });

  let page = await browser.get(authUrl);
  const maxSteps = opts.maxSteps ?? 10;
  for (let step = 0; step < maxSteps; step++) {
    const form = parseForm(page.html, page.url);
    if (!form) {
      throw new Error(
        `consent flow stuck: ${page.url} (status ${page.status}) has no form and is not the final page: ` +
          textSnippet(page.html),
      );
    }
    const fields = Object.fromEntries(Object.entries(wanted).filter(([k]) => k in form.fields));
    page = await browser.submitForm(page, fields);
    // The first redirect out of the first form (toolvault's connect page) is the authorization endpoint.
    if (providerPrefix === undefined) {
      const authorize = page.redirects[1] ?? page.url;
      const provider = new URL(authorize);
      providerPrefix = provider.origin === home ? new URL('.', provider).href : `${provider.origin}/`;
    }
    if (isFinal(page)) return page;
  }
  throw new Error(`consent flow did not finish after ${maxSteps} form submissions; last page ${page.url}`);
}

/** The first `<form>` of `html`, its action resolved against `baseUrl`, with the values a browser sends. */
export function parseForm(html: string, baseUrl: string): Form | undefined {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!match) return undefined;
  const formAttrs = attributes(match[1] ?? '');
  const inner = match[2] ?? '';
  const fields: Record<string, string> = {};
  let submitter: [string, string] | undefined;

  for (const tag of inner.matchAll(/<(input|button|textarea|select)\b([^>]*)>/gi)) {
    const kind = (tag[1] ?? '').toLowerCase();
    const attrs = attributes(tag[2] ?? '');
    const name = attrs['name'];
    if (name === undefined || 'disabled' in attrs) continue;
    const type = (attrs['type'] ?? (kind === 'button' ? 'submit' : 'text')).toLowerCase();
    if (kind === 'button' || type === 'submit' || type === 'image') {
      // Only the clicked button is sent; we click the first one.
      if (type === 'submit' && submitter === undefined) submitter = [name, attrs['value'] ?? ''];
      continue;
    }
    if (kind === 'textarea') {
      const rest = inner.slice((tag.index ?? 0) + tag[0].length);
      fields[name] = decodeEntities(rest.slice(0, rest.search(/<\/textarea>/i)));
    } else if (kind === 'select') {
      const rest = inner.slice((tag.index ?? 0) + tag[0].length);
      const options = [...rest.slice(0, rest.search(/<\/select>/i)).matchAll(/<option\b([^>]*)>([^<]*)/gi)];
      const chosen = options.find((o) => 'selected' in attributes(o[1] ?? '')) ?? options[0];
      if (chosen)
        fields[name] = attributes(chosen[1] ?? '')['value'] ?? decodeEntities((chosen[2] ?? '').trim());
    } else if (type === 'checkbox' || type === 'radio') {
      if ('checked' in attrs) fields[name] = attrs['value'] ?? 'on';
    } else if (type !== 'reset' && type !== 'button' && type !== 'file') {
      fields[name] = attrs['value'] ?? '';
    }
  }
  if (submitter) fields[submitter[0]] ??= submitter[1];

  const method = (formAttrs['method'] ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET';
  const action = new URL(formAttrs['action'] || baseUrl, baseUrl).href;
  return { action, method, fields };
}

/** Attributes of a tag, entity-decoded; valueless attributes map to ''. */
function attributes(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of source.matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
    const key = (m[1] ?? '').toLowerCase();
    if (!(key in out)) out[key] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

function textSnippet(html: string): string {
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return JSON.stringify(decodeEntities(text).slice(0, 300));
}

function toArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
