import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { ConsentProblem, type ConsentService } from '../../auth/consent/links.js';
import type { Logger } from '../../log.js';
import { connectedPage, connectPage, keptAccountPage, problemPage, switchAccountPage } from './pages.js';

/**
 * The small web app people reach through links: connect pages, the OAuth callback, health. HTTP mode adds
 * /mcp to the same app; the demo authorization server is mounted under /demo when enabled.
 */

export interface WebDeps {
  consent: ConsentService;
  log: Logger;
  health: () => Promise<Record<string, unknown>>;
  /** Extra routers mounted before the 404 handler, e.g. `/demo`. */
  mounts?: Array<{ path: string; handler: express.RequestHandler | express.Router }>;
}

const LINK_ID = /^[A-Za-z0-9_-]{16,64}$/;

function sendProblem(res: Response, err: unknown, log: Logger): void {
  if (err instanceof ConsentProblem) {
    res.status(err.httpStatus).type('html').send(problemPage(err.title, err.message));
    return;
  }
  log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'web request failed');
  res
    .status(500)
    .type('html')
    .send(problemPage('Something went wrong', 'toolvault could not finish this request.'));
}

export function createWebApp(d: WebDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    // Pages carry single-use capabilities: never cache them, never frame them, never leak them as referrers.
    res.set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  });

  app.get('/healthz', async (_req, res) => {
    res.json({ status: 'ok', ...(await d.health()) });
  });

  app.get('/connect/:linkId', async (req, res) => {
    try {
      const linkId = String(req.params['linkId']);
      if (!LINK_ID.test(linkId))
        throw new ConsentProblem('unknown_link', 'Link not found', 'This connect link does not exist.', 404);
      const c = await d.consent.describeLink(linkId);
      const p = d.consent.provider(c.provider);
      res.type('html').send(
        connectPage({
          linkId,
          providerName: p?.declaration.displayName ?? c.provider,
          userId: c.userId,
          scopes: c.scopes,
          reason: c.reason,
          expiresAt: new Date(c.expiresAt).toISOString(),
        }),
      );
    } catch (err) {
      sendProblem(res, err, d.log);
    }
  });

  app.post('/connect/:linkId', async (req, res) => {
    try {
      const linkId = String(req.params['linkId']);
      if (!LINK_ID.test(linkId))
        throw new ConsentProblem('unknown_link', 'Link not found', 'This connect link does not exist.', 404);
      const url = await d.consent.redirect(linkId);
      res.redirect(303, url.href);
    } catch (err) {
      sendProblem(res, err, d.log);
    }
  });

  app.get('/oauth/callback', async (req, res) => {
    try {
      const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1 || req.url.length));
      const { consent, accountName, confirm } = await d.consent.callback(query);
      const p = d.consent.provider(consent.provider);
      const providerName = p?.declaration.displayName ?? consent.provider;
      if (confirm) {
        res.type('html').send(switchAccountPage({ providerName, ...confirm }));
        return;
      }
      res.type('html').send(connectedPage(providerName, accountName));
    } catch (err) {
      sendProblem(res, err, d.log);
    }
  });

  // The answer to switchAccountPage: its single-use token is the capability (and the CSRF defence).
  app.post(
    '/oauth/confirm-account',
    express.urlencoded({ extended: false, limit: '4kb' }),
    async (req, res) => {
      try {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const token = typeof body['token'] === 'string' ? body['token'] : '';
        const decision = body['decision'] === 'keep' ? 'keep' : 'switch';
        const out = await d.consent.confirmSwitch(token, decision);
        if ('redirect' in out) {
          res.redirect(303, out.redirect.href);
          return;
        }
        const p = d.consent.provider(out.kept.provider);
        res.type('html').send(keptAccountPage(p?.declaration.displayName ?? out.kept.provider));
      } catch (err) {
        sendProblem(res, err, d.log);
      }
    },
  );

  for (const m of d.mounts ?? []) app.use(m.path, m.handler);
  return app;
}

/** Last handlers: a plain 404 page and an error page that never echoes the error. */
export function finishWebApp(app: Express, log: Logger): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).type('html').send(problemPage('Not found', 'There is nothing at this address.'));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => sendProblem(res, err, log));
}
