import express, { type Response, type Router } from 'express';
import { sameOriginPost } from './cookies.js';
import { problemPage } from './pages.js';
import type { People } from './people.js';
import { isLinkToken, linkHash } from './signin-links.js';
import { SignInProblem } from './signin-oidc.js';
import { signedInPage, signedOutPage, signInLinkPage, signInPage } from './signin-pages.js';

/**
 * toolvault's own sign-in: `/signin` (the choice), `/signin/oidc` and its callback (the operator's OpenID
 * Connect provider), `/signin/link/:token` (a one-time link from `toolvault users link`), `/signin/out`.
 * Each ends in a session (sessions.ts) and goes back where requireUser was asked from.
 */

export function signInRoutes(d: {
  people: People;
  origins: () => string[];
  onError: (res: Response, err: unknown) => void;
}): Router {
  const { sessions, oidc, forms } = d.people;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const refuse = (res: Response, status: number, message: string): void => {
    res.status(status).type('html').send(problemPage('Not signed in', message));
  };

  router.get('/signin', (_req, res) => {
    res.type('html').send(signInPage({ oidc: oidc ? new URL(oidc.cfg.issuer).host : null }));
  });

  router.get('/signin/done', async (req, res) => {
    const user = await sessions.currentUser(req);
    if (user === null) return void res.redirect(303, '/signin');
    res.set('Referrer-Policy', 'same-origin');
    res.type('html').send(signedInPage(user));
  });

  router.get('/signin/oidc', async (_req, res) => {
    try {
      if (!oidc) return void refuse(res, 404, 'Signing in with an identity provider is not set up here.');
      await oidc.start(res);
    } catch (err) {
      d.onError(res, err);
    }
  });

  router.get('/signin/oidc/callback', async (req, res) => {
    try {
      if (!oidc) return void refuse(res, 404, 'Signing in with an identity provider is not set up here.');
      const user = await oidc.finish(req);
      await sessions.signIn(req, res, user, 'oidc');
      res.redirect(303, sessions.takeReturn(req, res));
    } catch (err) {
      if (err instanceof SignInProblem) return void refuse(res, 400, err.message);
      d.onError(res, err);
    }
  });

  // A link preview must not spend the link: GET shows a button; only its POST signs in.
  router.get('/signin/link/:token', async (req, res) => {
    try {
      const token = String(req.params['token']);
      const t = isLinkToken(token) ? await d.people.tickets.peek(linkHash(token), 'signin_link') : null;
      if (!t?.userId)
        return void refuse(res, 410, 'This sign-in link is unknown, used or expired. Ask for a new one.');
      const action = `/signin/link/${token}`;
      res.type('html').send(signInLinkPage({ userId: t.userId, action, csrf: forms.issue(res, action) }));
    } catch (err) {
      d.onError(res, err);
    }
  });

  router.post('/signin/link/:token', form, async (req, res) => {
    try {
      const token = String(req.params['token']);
      const body = (req.body ?? {}) as Record<string, unknown>;
      // Bound like a connect link: no other site can sign this browser in as someone else.
      if (!isLinkToken(token) || !forms.check(req, `/signin/link/${token}`, body['csrf']))
        return void refuse(
          res,
          403,
          "This request did not come from toolvault's sign-in page in this browser.",
        );
      const t = await d.people.tickets.take(linkHash(token), 'signin_link');
      if (!t?.userId)
        return void refuse(res, 410, 'This sign-in link is unknown, used or expired. Ask for a new one.');
      await sessions.signIn(req, res, t.userId, 'link');
      res.redirect(303, sessions.takeReturn(req, res));
    } catch (err) {
      d.onError(res, err);
    }
  });

  router.post('/signin/out', async (req, res) => {
    try {
      if (!sameOriginPost(req, d.origins())) return void refuse(res, 403, 'Request refused.');
      await sessions.signOut(req, res);
      res.type('html').send(signedOutPage());
    } catch (err) {
      d.onError(res, err);
    }
  });

  return router;
}
