import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { renderErrorPage, renderLoginPage } from './login-page.js';

/** What the interaction routes need from the authorization server. */
export interface InteractionDeps {
  provider: Provider;
  title: string;
  /** Remembers the display name typed at sign-in, for the `name` claim. */
  rememberName(accountId: string, name: string): void;
}

const MAX_NAME_LENGTH = 100;

/**
 * `GET /interaction/:uid` renders the sign-in page; `POST /interaction/:uid` finishes login and consent in
 * one step. The router is mounted beside the provider, so relative paths here match `interactions.url`.
 */
export function interactionRouter(deps: InteractionDeps): Router {
  const router = express.Router();
  // Parse bodies only on our own POST: a body parser in front of oidc-provider makes it warn and fall back.
  const form = express.urlencoded({ extended: false, limit: '8kb' });

  router.get('/interaction/:uid', async (req, res) => {
    const interaction = await loadInteraction(deps.provider, req, res);
    if (!interaction) return;
    await sendPage(deps, res, interaction, req.originalUrl, {});
  });

  router.post('/interaction/:uid', form, async (req, res) => {
    const interaction = await loadInteraction(deps.provider, req, res);
    if (!interaction) return;
    const { provider } = deps;
    const body: unknown = req.body;
    const raw = typeof body === 'object' && body !== null && 'name' in body ? body.name : undefined;
    const name = typeof raw === 'string' ? raw.trim().slice(0, MAX_NAME_LENGTH) : '';

    let accountId: string;
    let login: InteractionResults['login'];
    if (interaction.prompt.name === 'login' || !interaction.session) {
      if (!name) {
        res.status(400);
        await sendPage(deps, res, interaction, req.originalUrl, { error: 'Please enter a name.', name });
        return;
      }
      accountId = accountIdFor(name);
      deps.rememberName(accountId, name);
      login = { accountId };
    } else {
      // Consent only: the session already knows who this is, so there is nothing to sign in.
      accountId = interaction.session.accountId;
    }

    const grantId = await grantAll(provider, interaction, accountId);
    const result: InteractionResults = { consent: { grantId } };
    if (login) result.login = login;
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  });

  return router;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Loads the interaction bound to this browser's cookie; answers 400 itself when there is none. */
async function loadInteraction(provider: Provider, req: Request, res: Response): Promise<Interaction | null> {
  try {
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid === req.params['uid']) return interaction;
  } catch {
    // SessionNotFound: no or expired interaction cookie. Nothing to recover; the page below says so.
  }
  res
    .status(400)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      renderErrorPage(
        'Sign-in expired',
        'This sign-in request is unknown or has expired. Start again from the app.',
      ),
    );
  return null;
}

async function sendPage(
  deps: InteractionDeps,
  res: Response,
  interaction: Interaction,
  action: string,
  extra: { error?: string; name?: string },
): Promise<void> {
  const clientId = stringParam(interaction.params['client_id']);
  const client = await deps.provider.Client.find(clientId);
  const view = {
    title: deps.title,
    client: client?.clientName ?? clientId,
    scopes: requestedScopes(interaction),
    action,
    ...extra,
    ...(interaction.prompt.name !== 'login' && interaction.session
      ? { signedInAs: interaction.session.accountId }
      : {}),
  };
  res.type('html').set('Cache-Control', 'no-store').send(renderLoginPage(view));
}

/**
 * Grants everything the request asked for. When login and consent finish together the consent prompt has
 * not run yet, so its `missing*` details are empty: the requested scope and claims are read from the params.
 */
async function grantAll(provider: Provider, interaction: Interaction, accountId: string): Promise<string> {
  const clientId = stringParam(interaction.params['client_id']);
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  // A grant of another account (a different name typed in the same browser) must not be extended.
  const grant =
    existing && existing.accountId === accountId ? existing : new provider.Grant({ accountId, clientId });

  const scopes = requestedScopes(interaction);
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = requestedClaims(interaction);
  if (claims.length) grant.addOIDCClaims(claims);
  const details = interaction.prompt.details;
  const resourceScopes = details['missingResourceScopes'];
  if (resourceScopes && typeof resourceScopes === 'object') {
    for (const [indicator, list] of Object.entries(resourceScopes)) {
      if (Array.isArray(list)) grant.addResourceScope(indicator, list.join(' '));
    }
  }
  return grant.save();
}

function requestedScopes(interaction: Interaction): string[] {
  return stringParam(interaction.params['scope']).split(' ').filter(Boolean);
}

/** Claim names from the OIDC `claims` parameter (and any the consent prompt reported missing). */
function requestedClaims(interaction: Interaction): string[] {
  const names = new Set<string>();
  const missing = interaction.prompt.details['missingOIDCClaims'];
  if (Array.isArray(missing)) for (const c of missing) if (typeof c === 'string') names.add(c);
  const raw = interaction.params['claims'];
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object') {
        for (const target of Object.values(parsed)) {
          if (target && typeof target === 'object') for (const c of Object.keys(target)) names.add(c);
        }
      }
    } catch {
      // oidc-provider already rejected malformed `claims` at the authorization endpoint; nothing to add.
    }
  }
  return [...names];
}

/** A stable account id from a typed name: `Alice Smith` → `alice-smith`. */
export function accountIdFor(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  // Names with no latin letters or digits still need a distinct, stable id.
  return slug || `user-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

function stringParam(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
