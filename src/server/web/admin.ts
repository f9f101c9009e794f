import express, { type Request, type Response, type Router } from 'express';
import type { OperatorActions } from '../../ops/operator-actions.js';
import { effectiveState } from '../../auth/connections.js';
import type { ConnectionRow, EventRow, Store } from '../../vault/types.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { correlationId, withLogContext } from '../../log-context.js';
import { AdminAuth, type AdminCaller, LoginThrottle } from './admin-auth.js';
import {
  type ConnectionView,
  dashboardPage,
  type EventView,
  loginPage,
  messagePage,
  reconnectPage,
} from './admin-pages.js';
import { scrub } from '../../ops/webhooks.js';

/**
 * The operators' dashboard at /admin: connections per user and provider with their health, recent events,
 * and the actions of OperatorActions. Off unless TOOLVAULT_ADMIN_KEY is set. Changes are POSTs that need a
 * session's CSRF token (or the key as a Bearer header), from this origin. Pages are built from views with no
 * secret in them; no token is ever opened here.
 */

export interface AdminDeps {
  adminKey: string | undefined;
  store: () => Store;
  actions: OperatorActions;
  clock: Clock;
  log: Logger;
  publicUrl: () => string;
  providerName: (id: string) => string;
}

const NOTICES: Record<string, { text: (who: string) => string; tone: 'ok' | 'bad' }> = {
  disabled: { text: (who) => `Disabled ${who}. Its calls are refused until it is enabled.`, tone: 'ok' },
  enabled: { text: (who) => `Enabled ${who}.`, tone: 'ok' },
};

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export function adminRouter(d: AdminDeps): Router {
  const router = express.Router();
  if (!d.adminKey) {
    router.use((_req, res) => {
      res
        .status(404)
        .type('html')
        .send(messagePage('Admin is off', 'Set TOOLVAULT_ADMIN_KEY on this server to use the dashboard.'));
    });
    return router;
  }
  const auth = new AdminAuth(d.adminKey, {
    now: () => d.clock.now(),
    secure: () => d.publicUrl().startsWith('https:'),
  });
  const throttle = new LoginThrottle(Date.now);
  router.use(express.urlencoded({ extended: false, limit: '8kb' }));
  router.use((_req, res, next) => {
    // The web app's no-referrer makes browsers send `Origin: null` on our own forms; within /admin the
    // origin is worth having (and the pages link nowhere else).
    res.set('Referrer-Policy', 'same-origin');
    next();
  });

  router.post('/login', (req, res) => {
    const who = req.socket.remoteAddress ?? 'unknown';
    if (!sameOrigin(req, d.publicUrl()))
      return void res.status(403).type('html').send(loginPage('Request refused.'));
    if (throttle.blocked(who)) {
      return void res.status(429).type('html').send(loginPage('Too many wrong keys; wait a minute.'));
    }
    const key: unknown = req.body?.key;
    if (typeof key !== 'string' || !auth.matches(key)) {
      throttle.failed(who);
      d.log.warn({ from: who }, 'admin: wrong key');
      return void res.status(401).type('html').send(loginPage('That is not the admin key.'));
    }
    throttle.succeeded(who);
    res.set('Set-Cookie', auth.sessionCookie(auth.newSession())).redirect(303, '/admin');
  });

  // Everything below needs a caller.
  router.use((req, res, next) => {
    const caller = auth.caller(req);
    if (!caller) {
      if (req.method === 'GET') return void res.status(401).type('html').send(loginPage(null));
      return void res.status(401).type('html').send(messagePage('Sign in first', 'Your session has ended.'));
    }
    res.locals['caller'] = caller;
    // A change needs the session's CSRF token, from our own origin; Bearer callers carry no ambient credential.
    if (req.method === 'POST' && caller.via === 'cookie') {
      if (!sameOrigin(req, d.publicUrl()) || !auth.validCsrf(caller.session, req.body?.csrf)) {
        d.log.warn({ path: req.path }, 'admin: refused a POST without a valid CSRF token');
        return void res
          .status(403)
          .type('html')
          .send(messagePage('Request refused', 'Reload the page and try again.'));
      }
    }
    next();
  });

  const csrfOf = (res: Response): string | null => {
    const caller = res.locals['caller'] as AdminCaller;
    return caller.via === 'cookie' ? auth.csrfToken(caller.session) : null;
  };
  const actor = (res: Response): string => `admin:${(res.locals['caller'] as AdminCaller).via}`;

  router.post('/logout', (_req, res) => {
    res.set('Set-Cookie', auth.clearedCookie()).redirect(303, '/admin');
  });

  router.get('/', async (req, res, next) => {
    try {
      const user = typeof req.query['user'] === 'string' ? req.query['user'].slice(0, 200) : '';
      const store = d.store();
      const [rows, events] = await Promise.all([
        store.listConnections(user ? { userId: user } : {}),
        store.listEvents({ newestFirst: true, limit: 50, ...(user ? { userId: user } : {}) }),
      ]);
      const now = d.clock.now();
      res.type('html').send(
        dashboardPage({
          now,
          connections: rows.map((r) => connectionView(r, now, d.providerName)),
          events: events.map((e) => eventView(e, d.providerName)),
          csrf: csrfOf(res),
          notice: await noticeFor(req, store, d.providerName),
          userFilter: user,
        }),
      );
    } catch (err) {
      next(err);
    }
  });

  router.get('/connections/:id', async (req, res, next) => {
    try {
      const id = String(req.params['id']);
      const store = d.store();
      const row = ID.test(id) ? await store.getConnectionById(id) : null;
      if (!row)
        return void res.status(404).type('html').send(messagePage('Not found', 'No such connection.'));
      const events = await store.listEvents({ connectionId: id, newestFirst: true, limit: 100 });
      const now = d.clock.now();
      res.type('html').send(
        dashboardPage({
          now,
          connections: [connectionView(row, now, d.providerName)],
          events: events.map((e) => eventView(e, d.providerName)),
          csrf: csrfOf(res),
          notice: null,
          userFilter: '',
          title: `${d.providerName(row.provider)} for ${row.userId}`,
          back: true,
        }),
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/connections/:id/:action', async (req, res, next) => {
    const id = String(req.params['id']);
    const action = String(req.params['action']);
    if (!ID.test(id))
      return void res.status(404).type('html').send(messagePage('Not found', 'No such connection.'));
    try {
      await withLogContext({ callId: correlationId('admin') }, async () => {
        if (action === 'reconnect') {
          const link = await d.actions.reconnectLink(id);
          if ('problem' in link) {
            const status = link.problem === 'not_found' ? 404 : 409;
            return void res.status(status).type('html').send(messagePage('No link made', link.message));
          }
          d.log.info({ connection: id, actor: actor(res) }, 'admin: reconnect link created');
          return void res.type('html').send(
            reconnectPage({
              url: link.url,
              userId: link.userId,
              providerName: d.providerName(link.provider),
              expiresAt: link.expiresAt,
            }),
          );
        }
        if (action !== 'disable' && action !== 'enable')
          return void res.status(404).type('html').send(messagePage('Not found', 'No such action.'));
        const out =
          action === 'disable'
            ? await d.actions.disable(id, actor(res))
            : await d.actions.enable(id, actor(res));
        if (!out.ok) {
          const status = out.problem === 'not_found' ? 404 : 409;
          return void res.status(status).type('html').send(messagePage('Not changed', out.message));
        }
        res.redirect(303, `/admin?done=${action}d&connection=${encodeURIComponent(id)}`);
      });
    } catch (err) {
      next(err);
    }
  });

  return router;
}

/** The notice after an action, from a fixed list: nothing from the query string is echoed as is. */
async function noticeFor(
  req: Request,
  store: Store,
  providerName: (id: string) => string,
): Promise<{ text: string; tone: 'ok' | 'bad' } | null> {
  const notice = NOTICES[String(req.query['done'])];
  const id = String(req.query['connection'] ?? '');
  if (!notice || !ID.test(id)) return null;
  const row = await store.getConnectionById(id);
  return row
    ? { text: notice.text(`${providerName(row.provider)} for ${row.userId}`), tone: notice.tone }
    : null;
}

/**
 * Requests that say where they come from must come from here; one that says nothing (a script, a browser
 * hiding its origin as `null`) is judged by its CSRF token alone. SameSite=Strict does most of this already.
 */
function sameOrigin(req: Request, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return true;
  const own = [new URL(publicUrl).origin, `${req.protocol}://${req.headers.host ?? ''}`];
  return own.includes(origin);
}

function connectionView(r: ConnectionRow, now: number, providerName: (id: string) => string): ConnectionView {
  return {
    id: r.id,
    userId: r.userId,
    provider: r.provider,
    providerName: providerName(r.provider),
    state: effectiveState(r, now),
    scopes: r.scopes,
    account: r.account ? (r.account.name ?? r.account.id) : null,
    tokenIssuedAt: r.accessIssuedAt,
    accessExpiresAt: r.accessExpiresAt,
    lastRefreshAt: r.lastRefreshAt,
    lastUsedAt: r.lastUsedAt,
    lastError: r.lastError
      ? { kind: r.lastError.kind, code: r.lastError.code ?? null, at: r.lastError.at }
      : null,
    failureStreak: r.failureStreak,
  };
}

const HIDDEN_DETAIL = new Set(['callId', 'refreshId']);

function eventView(e: EventRow, providerName: (id: string) => string): EventView {
  const detail = scrub(e.detail) as Record<string, unknown>;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(detail)) {
    if (HIDDEN_DETAIL.has(k) || v === null || v === undefined) continue;
    // Timestamps (`expiresAt`, `lastUsedAt`...) are epoch ms in the store; people read ISO.
    const when = /At$/.test(k) && typeof v === 'number' ? new Date(v).toISOString() : undefined;
    const text = when ?? (typeof v === 'object' ? JSON.stringify(v) : String(v));
    parts.push(`${k}=${text.length > 60 ? `${text.slice(0, 57)}...` : text}`);
  }
  const summary = parts.join(' ');
  return {
    id: e.id,
    at: e.at,
    type: e.type,
    userId: e.userId,
    provider: e.provider === null ? null : providerName(e.provider),
    fromState: e.fromState,
    toState: e.toState,
    reason: e.reason,
    summary: summary.length > 200 ? `${summary.slice(0, 197)}...` : summary,
  };
}
