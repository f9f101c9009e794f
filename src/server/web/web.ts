import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { ConsentProblem, type ConsentService } from '../../auth/consent/links.js';
import type { Logger } from '../../log.js';
import { connectRoutes } from './connect-routes.js';
import { problemNote, problemPage } from './pages.js';
import type { People } from './people.js';
import { signInRoutes } from './signin-routes.js';

/**
 * The small web app people reach through links: connect pages, the OAuth callback, sign-in, health. HTTP mode adds
 * /mcp to the same app; the demo authorization server is mounted under /demo when enabled.
 */

export interface WebDeps {
  consent: ConsentService;
  /** Sessions, sign-in, browser bindings and the verification policy (people.ts). */
  people: People;
  publicUrl: () => string;
  /** Origins besides the public URL's that our forms may be posted from. */
  extraOrigins?: string[];
  log: Logger;
  health: () => Promise<Record<string, unknown>>;
  /** Extra routers mounted before the 404 handler, e.g. `/demo`. */
  mounts?: Array<{ path: string; handler: express.RequestHandler | express.Router }>;
}

function sendProblem(res: Response, err: unknown, log: Logger): void {
  if (err instanceof ConsentProblem) {
    res
      .status(err.httpStatus)
      .type('html')
      .send(problemPage(err.title, err.message, problemNote(err.code)));
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

  const onError = (res: Response, err: unknown): void => sendProblem(res, err, d.log);
  const origins = (): string[] => [new URL(d.publicUrl()).origin.toLowerCase(), ...(d.extraOrigins ?? [])];
  app.use(connectRoutes({ consent: d.consent, people: d.people, origins, onError }));
  app.use(signInRoutes({ people: d.people, origins, onError }));

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
