/**
 * Server-rendered pages people see in a browser: the connect page, the result of a sign-in, and every
 * problem page. Everything interpolated is escaped; no page ever holds a token.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

const STYLE = `
  :root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #f6f8fa; --card: #fff; --accent: #0b5fff; --bad: #b42318; --ok: #067647; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --card: #161b22; --accent: #4c8dff; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  main { max-width: 34rem; margin: 8vh auto; padding: 2rem; background: var(--card); border-radius: 12px; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  p, dl { margin: 0 0 1rem; }
  dt { color: var(--muted); font-size: 0.85rem; }
  dd { margin: 0 0 0.6rem; }
  code { font-size: 0.9em; }
  ul.scopes { margin: 0; padding-left: 1.2rem; }
  button { font: inherit; padding: 0.6rem 1.4rem; border: 0; border-radius: 8px; background: var(--accent); color: #fff; cursor: pointer; }
  button:focus-visible { outline: 3px solid var(--fg); outline-offset: 2px; }
  .note { color: var(--muted); font-size: 0.9rem; }
  .warn { border-left: 4px solid var(--bad); padding-left: 0.8rem; }
  .bad h1 { color: var(--bad); }
  .ok h1 { color: var(--ok); }
`;

export function page(title: string, body: string, tone: 'plain' | 'ok' | 'bad' = 'plain'): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · toolvault</title><style>${STYLE}</style></head>
<body><main class="${tone}">${body}</main></body></html>`;
}

export function connectPage(v: {
  linkId: string;
  providerName: string;
  userId: string;
  scopes: string[];
  reason: string;
  expiresAt: string;
  /** The form's CSRF token (form-binding.ts). */
  csrf: string;
  /**
   * `declared`: a hosted install whose operator turned user verification off — say plainly whose vault the
   * grant goes to. `signin` / `verifier`: the person will be asked to prove who they are after the provider.
   */
  check: 'binding' | 'declared' | 'signin' | 'verifier';
}): string {
  const why =
    v.reason === 'scope_update_required'
      ? 'Your agent needs more permissions than this connection has.'
      : v.reason === 'reauthorization_required'
        ? 'The existing connection must be approved again to keep working.'
        : 'Your agent asked to act in this app on your behalf.';
  const scopes = v.scopes.length
    ? `<ul class="scopes">${v.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`
    : '<em>none</em>';
  return page(
    `Connect ${v.providerName}`,
    `<h1>Connect ${escapeHtml(v.providerName)}</h1>
<p>${escapeHtml(why)} You will sign in at ${escapeHtml(v.providerName)} and approve access there; toolvault keeps the
credentials encrypted and your agent never sees them.</p>
<dl><dt>Provider</dt><dd>${escapeHtml(v.providerName)}</dd>
<dt>toolvault user</dt><dd>${escapeHtml(v.userId)}</dd>
<dt>Permissions requested</dt><dd>${scopes}</dd>
<dt>Link expires</dt><dd><time datetime="${escapeHtml(v.expiresAt)}">${escapeHtml(v.expiresAt)}</time></dd></dl>
${checkNote(v.check, v.userId)}
<form method="post" action="/connect/${encodeURIComponent(v.linkId)}"><input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<button type="submit">Continue to ${escapeHtml(v.providerName)}</button></form>
<p class="note">This link works once. If you did not expect it, close this page.</p>`,
  );
}

function checkNote(check: 'binding' | 'declared' | 'signin' | 'verifier', userId: string): string {
  const user = `<strong>${escapeHtml(userId)}</strong>`;
  switch (check) {
    case 'declared':
      return `<p class="warn" role="note">This grant is for the toolvault user ${user}, and this server does not check who
you are: whoever finishes this link gives that user access to their account. Continue only if you are ${user}.</p>`;
    case 'signin':
      return `<p class="note">After the provider, you sign in to toolvault: only ${user} can finish this link.</p>`;
    case 'verifier':
      return `<p class="note">After the provider, your organisation's sign-in confirms who you are: only ${user} can
finish this link.</p>`;
    case 'binding':
      return '';
  }
}

export function connectedPage(providerName: string, accountName: string | undefined): string {
  const who = accountName ? ` as <strong>${escapeHtml(accountName)}</strong>` : '';
  return page(
    `${providerName} connected`,
    `<h1>${escapeHtml(providerName)} is connected</h1>
<p>toolvault is now connected to ${escapeHtml(providerName)}${who}. You can close this page and return to your agent.</p>`,
    'ok',
  );
}

/** How a provider account reads on a page: its name (or id), and its team when the provider has teams. */
function accountLabel(a: { id: string; name?: string; team?: string }): string {
  const who = a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id;
  return a.team ? `${who}, team ${a.team}` : who;
}

/**
 * A reconnect came back as another account than the connection's: name both and ask. The token in the form
 * is single use and the only way to confirm; nothing of the new sign-in was kept, so a switch signs in again.
 */
export function switchAccountPage(v: {
  providerName: string;
  current: { id: string; name?: string; team?: string };
  incoming: { id: string; name?: string; team?: string };
  token: string;
}): string {
  const current = escapeHtml(accountLabel(v.current));
  const incoming = escapeHtml(accountLabel(v.incoming));
  const provider = escapeHtml(v.providerName);
  return page(
    `Switch ${v.providerName} account?`,
    `<h1>Switch the ${provider} account?</h1>
<p>This connection acts as <strong data-account="current">${current}</strong>, but you signed in as
<strong data-account="incoming">${incoming}</strong>.</p>
<p>If you switch, your agent acts as ${incoming} from now on. Until you choose, nothing changes: toolvault keeps
acting as ${current} and has kept nothing from this sign-in.</p>
<form method="post" action="/oauth/confirm-account"><input type="hidden" name="token" value="${escapeHtml(v.token)}">
<button type="submit" name="decision" value="switch">Switch to ${incoming}</button>
<button type="submit" name="decision" value="keep">Keep ${current}</button></form>
<p class="note">Switching takes you to ${provider} once more to sign in as ${incoming}. This question expires in
10 minutes.</p>`,
  );
}

/** The user kept the connection's account. */
export function keptAccountPage(providerName: string): string {
  return page(
    `${providerName} unchanged`,
    `<h1>${escapeHtml(providerName)} is unchanged</h1>
<p>toolvault keeps acting as the account it was connected with, and kept nothing from the other sign-in. You can
close this page.</p>`,
    'ok',
  );
}

const AGAIN = 'Nothing was changed. Ask your agent for a new connect link to try again.';

export function problemPage(title: string, message: string, note = AGAIN): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p class="note">${escapeHtml(note)}</p>`,
    'bad',
  );
}

/** What to do next, for the refusals where a new link would not help. */
export function problemNote(code: string): string {
  switch (code) {
    case 'wrong_user':
      return 'If the link was meant for you, sign out and sign in as the right user. Otherwise close this page.';
    case 'not_this_browser':
      return 'If you did not expect this page, close it: another site may have tried to use your browser to connect an account.';
    default:
      return AGAIN;
  }
}
