import express, { type Router } from 'express';
import type Provider from 'oidc-provider';
import type { Logger } from '../../log.js';
import { escapeHtml, page, problemPage } from '../web/pages.js';
import type { People } from '../web/people.js';

/**
 * The grants people gave to connector clients, and taking them back: `GET /as/grants` lists the signed-in
 * person's (client name and id), `POST /as/grants/revoke` ends one — its refresh and access tokens die with it,
 * so the client's next /mcp request gets 401 and must ask the person again.
 */

export interface GrantRow {
  grantId: string;
  clientId: string;
  clientName: string;
}

export interface GrantBook {
  /** Ids of the live grants of a vault user. */
  idsFor(userId: string): string[];
  /** Deletes a grant and everything issued under it. */
  revoke(grantId: string): void;
}

export async function grantsOf(provider: Provider, book: GrantBook, userId: string): Promise<GrantRow[]> {
  const rows: GrantRow[] = [];
  for (const grantId of book.idsFor(userId)) {
    const grant = await provider.Grant.find(grantId);
    if (!grant?.clientId) continue;
    const client = await provider.Client.find(grant.clientId);
    rows.push({ grantId, clientId: grant.clientId, clientName: client?.clientName ?? grant.clientId });
  }
  return rows;
}

export function grantsRouter(d: {
  provider: Provider;
  book: GrantBook;
  people: People;
  log: Logger;
}): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const PATH = '/as/grants';

  router.get('/grants', async (req, res) => {
    const user = await d.people.sessions.requireUser(req, res, PATH);
    if (user === null) return;
    const rows = await grantsOf(d.provider, d.book, user);
    const csrf = d.people.forms.issue(res, `${PATH}/revoke`);
    const items = rows
      .map(
        (r) => `<li><strong>${escapeHtml(r.clientName)}</strong> <code>${escapeHtml(r.clientId)}</code>
<form method="post" action="${PATH}/revoke"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="grant" value="${escapeHtml(r.grantId)}"><button>Revoke</button></form></li>`,
      )
      .join('\n');
    res
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(
        page(
          'Connected apps',
          `<h1>Apps that use your tools</h1>${rows.length ? `<ul>${items}</ul>` : '<p>None.</p>'}`,
        ),
      );
  });

  router.post('/grants/revoke', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!d.people.forms.check(req, `${PATH}/revoke`, body['csrf'])) {
      res.status(403).type('html').send(problemPage('Not allowed', 'Open the list of apps again.'));
      return;
    }
    const user = await d.people.sessions.requireUser(req, res, PATH);
    if (user === null) return;
    const grantId = typeof body['grant'] === 'string' ? body['grant'] : '';
    // Only one of this person's own grants: another's id is answered like an unknown one.
    if (d.book.idsFor(user).includes(grantId)) {
      d.book.revoke(grantId);
      d.log.info({ user }, 'connector grant revoked by its person');
    }
    res.redirect(303, PATH);
  });

  return router;
}
