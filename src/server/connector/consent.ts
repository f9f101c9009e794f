import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { Logger } from '../../log.js';
import { escapeHtml, page, problemPage } from '../web/pages.js';
import type { People } from '../web/people.js';

/**
 * The connector's interaction pages: who is asking is toolvault's own signed-in person (requireUser sends the
 * browser to /signin and back), then a consent screen naming the client (its name and the host it redirects
 * to) and what it may do. A grant is remembered per person and client: the next authorization of the same
 * client by the same person finishes without asking again, until the person or an operator revokes it.
 */

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface ConsentDeps {
  provider: Provider;
  people: People;
  log: Logger;
  resource: () => string;
}

export function consentRouter(d: ConsentDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  // Remembered consents: `${user}\n${clientId}` → grant id (oidc-provider keeps the grant itself).
  const remembered = new Map<string, string>();

  // The provider's own browser session would keep whoever first consented in this browser signed in to it,
  // even after they signed out of toolvault: every authorization goes through toolvault's session instead.
  router.get('/auth', (req, _res, next) => {
    // A client that asks for no scope at all means "the MCP endpoint": oidc-provider would deny an empty grant.
    const q = new URL(req.originalUrl, 'http://x');
    if (!q.searchParams.has('scope')) {
      q.searchParams.set('scope', 'mcp');
      req.url = `${req.path}${q.search}`;
    }
    const cookie = req.headers.cookie;
    if (cookie)
      req.headers.cookie = cookie
        .split(/;\s*/)
        .filter((c) => !/^_session(\.legacy)?(\.sig)?=/.test(c))
        .join('; ');
    next();
  });

  router.get('/interaction/:uid', async (req, res) => {
    const interaction = await load(d.provider, req, res);
    if (!interaction) return;
    const user = await d.people.sessions.requireUser(req, res, req.originalUrl);
    if (user === null) return;
    const clientId = str(interaction.params['client_id']);
    const known = remembered.get(`${user}\n${clientId}`);
    const grant = known ? await d.provider.Grant.find(known) : undefined;
    if (grant && grant.accountId === user) {
      await d.provider.interactionFinished(req, res, {
        login: { accountId: user },
        consent: { grantId: known },
      });
      return;
    }
    const client = await d.provider.Client.find(clientId);
    const redirect = str(interaction.params['redirect_uri']);
    // A CIMD client is named by its own URL: its host is who vouches for the name shown.
    const named = clientId.startsWith('https://') ? clientId : redirect;
    const host = URL.canParse(named) ? new URL(named).host : '';
    const path = req.originalUrl.split('?')[0]!;
    const csrf = d.people.forms.issue(res, path);
    res
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(consentPage({ name: client?.clientName ?? clientId, host, user, action: path, csrf }));
  });

  router.post('/interaction/:uid', form, async (req, res) => {
    const interaction = await load(d.provider, req, res);
    if (!interaction) return;
    const path = req.originalUrl.split('?')[0]!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!d.people.forms.check(req, path, body['csrf'])) {
      res.status(403).type('html').send(problemPage('Not allowed', 'Open the request again from the app.'));
      return;
    }
    const user = await d.people.sessions.requireUser(req, res, path);
    if (user === null) return;
    if (body['decision'] !== 'allow') {
      await d.provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'the person declined',
      });
      return;
    }
    const clientId = str(interaction.params['client_id']);
    const grant = new d.provider.Grant({ accountId: user, clientId });
    const oidcScopes = str(interaction.params['scope'])
      .split(' ')
      .filter((s) => s === 'openid' || s === 'offline_access' || s === 'mcp');
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
    grant.addResourceScope(d.resource(), 'mcp');
    const grantId = await grant.save();
    remembered.set(`${user}\n${clientId}`, grantId);
    d.log.info({ user, clientId }, 'connector consent given');
    await d.provider.interactionFinished(req, res, { login: { accountId: user }, consent: { grantId } });
  });

  return router;
}

async function load(provider: Provider, req: Request, res: Response): Promise<Interaction | null> {
  try {
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid === req.params['uid']) return interaction;
  } catch {
    // No or expired interaction cookie: nothing to resume; the page says so.
  }
  res
    .status(400)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(problemPage('Request expired', 'This authorization request is unknown or has expired.'));
  return null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function consentPage(v: { name: string; host: string; user: string; action: string; csrf: string }): string {
  return page(
    'Allow access to toolvault?',
    `<h1>Allow ${escapeHtml(v.name)} to use your tools?</h1>
<p><strong>${escapeHtml(v.name)}</strong>${v.host ? ` (at <code>${escapeHtml(v.host)}</code>)` : ''} asks to act as <strong>${escapeHtml(v.user)}</strong> on toolvault: list and call your tools, which use the accounts you connected (for example posting messages or creating issues), and start connect links for you.</p>
<p>You can take this back at any time.</p>
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<button name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Deny</button>
</form>`,
  );
}
