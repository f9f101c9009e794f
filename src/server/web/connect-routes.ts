import express, { type Request, type Response, type Router } from 'express';
import { ConsentProblem, type ConsentService } from '../../auth/consent/links.js';
import type { CallbackResult } from '../../auth/consent/outcome.js';
import { sameOriginPost } from './cookies.js';
import { connectedPage, connectPage, keptAccountPage, problemPage, switchAccountPage } from './pages.js';
import type { People } from './people.js';
import { VerifierProblem } from './user-verifier.js';

/**
 * The consent flow's pages: the connect page and its Continue (bound to the browser: form-binding.ts), the
 * OAuth callback, the finish step after the person proved who they are (sign-in or user verifier), and the
 * answer to an account switch. Every step after Continue requires the flow cookie of the browser that pressed
 * it, and the judgement of verification.ts: nothing becomes a connection for anyone but the link's user.
 */

const LINK_ID = /^[A-Za-z0-9_-]{16,64}$/;
const AUTH_ID = /^auth_[A-Za-z0-9_-]{8,64}$/;

export function connectRoutes(d: {
  consent: ConsentService;
  people: People;
  origins: () => string[];
  onError: (res: Response, err: unknown) => void;
}): Router {
  const { consent, people } = d;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const providerName = (id: string): string => consent.provider(id)?.declaration.displayName ?? id;
  const linkIdOf = (req: Request): string => {
    const linkId = String(req.params['linkId']);
    if (!LINK_ID.test(linkId))
      throw new ConsentProblem('unknown_link', 'Link not found', 'This connect link does not exist.', 404);
    return linkId;
  };
  const judge = (req: Request) => (c: Parameters<typeof people.verification.verdict>[1]) =>
    people.verification.verdict(req, c);

  /** The page after a callback or a finish: connected, or the account-switch question. */
  const show = (res: Response, out: CallbackResult): void => {
    const name = providerName(out.consent.provider);
    if (out.confirm) {
      // Its form posts back here: the browser must send our Origin (see sameOriginPost).
      res.set('Referrer-Policy', 'same-origin');
      res.type('html').send(switchAccountPage({ providerName: name, ...out.confirm }));
      return;
    }
    res.type('html').send(connectedPage(name, out.accountName));
  };

  router.get('/connect/:linkId', async (req, res) => {
    try {
      const linkId = linkIdOf(req);
      const c = await consent.describeLink(linkId);
      const mode = await people.verification.mode();
      if (mode === 'unavailable') throw unavailable();
      res.type('html').send(
        connectPage({
          linkId,
          providerName: providerName(c.provider),
          userId: c.userId,
          scopes: c.scopes,
          reason: c.reason,
          expiresAt: new Date(c.expiresAt).toISOString(),
          csrf: people.forms.issue(res, `/connect/${linkId}`),
          check: mode,
        }),
      );
    } catch (err) {
      d.onError(res, err);
    }
  });

  router.post('/connect/:linkId', form, async (req, res) => {
    try {
      const linkId = linkIdOf(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      // An unknown, used or expired link says so first; it starts nothing either way.
      const link = await consent.describeLink(linkId);
      if (!people.forms.check(req, `/connect/${linkId}`, body['csrf'])) {
        await consent.refusedContinue(link);
        throw new ConsentProblem(
          'not_this_browser',
          'Not started here',
          "This request did not come from toolvault's connect page in this browser, so nothing was started and nothing was connected. If you meant to connect, open the link yourself and press Continue.",
          403,
        );
      }
      if ((await people.verification.mode()) === 'unavailable') throw unavailable();
      const { url, consent: c } = await consent.redirect(linkId);
      await people.flows.bind(res, c.authId);
      res.redirect(303, url.href);
    } catch (err) {
      d.onError(res, err);
    }
  });

  router.get('/oauth/callback', async (req, res) => {
    try {
      const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1 || req.url.length));
      const out = await consent.callback(query, judge(req));
      if (out.held) await people.verification.askProof(res, out.consent.authId);
      else show(res, out);
    } catch (err) {
      d.onError(res, err);
    }
  });

  // Back from signing in: the held grant is stored, or dropped, as the person turned out to be.
  router.get('/connect/finish/:authId', async (req, res) => {
    try {
      const authId = String(req.params['authId']);
      if (!AUTH_ID.test(authId))
        throw new ConsentProblem('unknown_state', 'Not found', 'There is nothing to finish here.', 404);
      const c = await consent.heldConsent(authId);
      const verdict = await people.verification.verdict(req, c);
      if (verdict === 'hold') {
        await people.verification.askProof(res, authId);
        return;
      }
      show(res, await consent.finishHeld(c, verdict));
    } catch (err) {
      d.onError(res, err);
    }
  });

  // Back from the operator's user verifier with a signed confirmation of who the person is.
  router.get('/verify/return', async (req, res) => {
    try {
      if (!people.verifier)
        throw new ConsentProblem('unknown_state', 'Not found', 'There is nothing to finish here.', 404);
      const { authId, user } = await people.verifier.finish(req);
      const c = await consent.heldConsent(authId);
      if (!(await people.flows.holds(req, authId))) {
        show(res, await consent.finishHeld(c, { refuse: 'other_browser' }));
        return;
      }
      if (user !== c.userId) {
        show(res, await consent.finishHeld(c, { refuse: 'user_mismatch', by: user, method: 'verifier' }));
        return;
      }
      await people.flows.markVerified(req, authId, user);
      show(res, await consent.finishHeld(c, 'activate'));
    } catch (err) {
      if (err instanceof VerifierProblem) {
        res.status(400).type('html').send(problemPage('Could not confirm who you are', err.message));
        return;
      }
      d.onError(res, err);
    }
  });

  // The answer to switchAccountPage: its single-use token, our Origin, this browser's flow, the proven user.
  router.post('/oauth/confirm-account', form, async (req, res) => {
    try {
      if (!sameOriginPost(req, d.origins())) {
        throw new ConsentProblem(
          'not_this_browser',
          'Not started here',
          "This answer did not come from toolvault's page in this browser, so nothing changed.",
          403,
        );
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const token = typeof body['token'] === 'string' ? body['token'] : '';
      const decision = body['decision'] === 'keep' ? 'keep' : 'switch';
      const out = await consent.confirmSwitch(token, decision, judge(req));
      if ('redirect' in out) {
        res.redirect(303, out.redirect.href);
        return;
      }
      res.type('html').send(keptAccountPage(providerName(out.kept.provider)));
    } catch (err) {
      d.onError(res, err);
    }
  });

  return router;
}

function unavailable(): ConsentProblem {
  return new ConsentProblem(
    'verification_unavailable',
    'Connecting needs sign-in',
    'This toolvault serves several people and cannot yet check who you are, so it connects nothing. Its operator must set up sign-in (or a user verifier).',
    403,
  );
}
