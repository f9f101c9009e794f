import { escapeHtml, page } from './pages.js';

/** The pages of toolvault's own sign-in (signin-routes.ts). Nothing secret is ever on them. */

export function signInPage(v: { oidc: string | null }): string {
  const oidc = v.oidc
    ? `<form method="get" action="/signin/oidc"><button type="submit">Sign in with ${escapeHtml(v.oidc)}</button></form>`
    : '';
  return page(
    'Sign in',
    `<h1>Sign in to toolvault</h1>
<p>toolvault needs to know who you are before it finishes this: a connection goes only to the person it was
made for.</p>
${oidc}
<p class="note">${v.oidc ? 'No account there? ' : ''}Ask your toolvault operator for a one-time sign-in link
(<code>toolvault users link YOUR-USER</code>) and open it in this browser.</p>`,
  );
}

export function signInLinkPage(v: { userId: string; action: string; csrf: string }): string {
  return page(
    'Sign in',
    `<h1>Sign in as ${escapeHtml(v.userId)}?</h1>
<p>This one-time link signs this browser in to toolvault as <strong>${escapeHtml(v.userId)}</strong>. Use it
only if that is you.</p>
<form method="post" action="${escapeHtml(v.action)}"><input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<button type="submit">Sign in as ${escapeHtml(v.userId)}</button></form>
<p class="note">The link works once and expires soon.</p>`,
  );
}

export function signedInPage(userId: string): string {
  return page(
    'Signed in',
    `<h1>Signed in</h1>
<p>This browser is signed in to toolvault as <strong>${escapeHtml(userId)}</strong>.</p>
<form method="post" action="/signin/out"><button type="submit">Sign out</button></form>`,
    'ok',
  );
}

export function signedOutPage(): string {
  return page(
    'Signed out',
    '<h1>Signed out</h1><p>This browser is no longer signed in to toolvault.</p>',
    'ok',
  );
}
