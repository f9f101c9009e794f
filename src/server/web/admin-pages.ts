import { escapeHtml as h } from './pages.js';

/**
 * The /admin pages, server-rendered from views that carry no secret (admin.ts builds them from store rows
 * and never opens a token). Accessible by construction: a skip link, labelled controls, tables with captions
 * and header cells, state shown as text and not only colour, visible focus, and no script at all.
 */

export interface ConnectionView {
  id: string;
  userId: string;
  provider: string;
  providerName: string;
  state: string;
  scopes: string[];
  account: string | null;
  tokenIssuedAt: number | null;
  accessExpiresAt: number | null;
  lastRefreshAt: number | null;
  lastUsedAt: number | null;
  lastError: { kind: string; code: string | null; at: number } | null;
  failureStreak: number;
}

export interface EventView {
  id: number;
  at: number;
  type: string;
  userId: string | null;
  provider: string | null;
  fromState: string | null;
  toState: string | null;
  reason: string | null;
  summary: string;
}

export interface DashboardView {
  now: number;
  connections: ConnectionView[];
  events: EventView[];
  /** CSRF token for the forms; null for Bearer callers, who get the page without forms. */
  csrf: string | null;
  notice: { text: string; tone: 'ok' | 'bad' } | null;
  userFilter: string;
  title?: string;
  /** A single connection's page links back to the list. */
  back?: boolean;
}

const STYLE = `
  :root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #f6f8fa; --card: #fff; --line: #d0d7de;
    --accent: #0b5fff; --focus: #0b5fff; --ok-bg: #dafbe1; --ok-fg: #116329; --warn-bg: #fff8c5; --warn-fg: #7d4e00;
    --bad-bg: #ffebe9; --bad-fg: #a40e26; --off-bg: #eaeef2; --off-fg: #424a53; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --card: #161b22;
    --line: #30363d; --accent: #4c8dff; --focus: #79b8ff; --ok-bg: #12361f; --ok-fg: #7ee2a8; --warn-bg: #3b2e05;
    --warn-fg: #f2cc60; --bad-bg: #4a1619; --bad-fg: #ffa198; --off-bg: #272c33; --off-fg: #c9d1d9; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  a { color: var(--accent); }
  .skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; }
  .skip:focus { left: 1rem; }
  header.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: .9rem 1.5rem;
    background: var(--card); border-bottom: 1px solid var(--line); }
  header.top h1 { font-size: 1.15rem; margin: 0; }
  header.top h1 span { color: var(--muted); font-weight: 400; }
  main { max-width: 92rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
  h2 { font-size: 1.05rem; margin: 1.75rem 0 .6rem; }
  .summary { display: flex; flex-wrap: wrap; gap: .6rem; margin: 0 0 1rem; padding: 0; list-style: none; }
  .summary li { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .45rem .8rem; }
  .summary strong { font-size: 1.15rem; margin-right: .3rem; }
  .wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  caption { text-align: left; padding: .6rem .8rem; color: var(--muted); caption-side: top; }
  th, td { text-align: left; padding: .5rem .8rem; border-top: 1px solid var(--line); vertical-align: top; }
  thead th { background: var(--bg); font-weight: 600; white-space: nowrap; border-top: 0; }
  tbody th { font-weight: 600; }
  td.num { white-space: nowrap; }
  .state { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; }
  .state-healthy, .state-refreshing { background: var(--ok-bg); color: var(--ok-fg); }
  .state-scope_update_required, .state-pending { background: var(--warn-bg); color: var(--warn-fg); }
  .state-reauthorization_required { background: var(--bad-bg); color: var(--bad-fg); }
  .state-disabled { background: var(--off-bg); color: var(--off-fg); }
  .scopes { display: flex; flex-wrap: wrap; gap: .25rem; margin: 0; padding: 0; list-style: none; }
  .scopes code { font-size: .78rem; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 0 .3rem; }
  .muted { color: var(--muted); }
  .err { color: var(--bad-fg); font-weight: 600; }
  .actions { display: flex; gap: .4rem; }
  .nowrap { white-space: nowrap; }
  .warn { color: var(--warn-fg); font-weight: 600; }
  tr.alert td { background: var(--bad-bg); }
  form { margin: 0; }
  button, input[type=text], input[type=password], input[type=search] { font: inherit; }
  button { padding: .3rem .75rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; white-space: nowrap; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button.danger { color: var(--bad-fg); }
  input[type=text], input[type=password], input[type=search] { padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--fg); }
  :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  .notice { padding: .6rem .9rem; border-radius: 8px; margin: 0 0 1rem; }
  .notice.ok { background: var(--ok-bg); color: var(--ok-fg); }
  .notice.bad { background: var(--bad-bg); color: var(--bad-fg); }
  .filter { display: flex; gap: .5rem; align-items: center; margin: 0 0 .8rem; }
  .login { max-width: 26rem; margin: 12vh auto; background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 1.75rem; }
  .login h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  .login label { display: block; font-weight: 600; margin-bottom: .3rem; }
  .login input { width: 100%; margin-bottom: 1rem; }
  .link { width: 100%; font-family: ui-monospace, monospace; }
`;

function shell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${h(title)} · toolvault admin</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}

export function loginPage(message: string | null): string {
  const alert = message ? `<p class="notice bad" role="alert">${h(message)}</p>` : '';
  return shell(
    'Sign in',
    `<main class="login"><h1>toolvault admin</h1>${alert}
<form method="post" action="/admin/login">
<label for="key">Admin key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus aria-describedby="key-help">
<p id="key-help" class="muted">The value of <code>TOOLVAULT_ADMIN_KEY</code> on this server.</p>
<button class="primary" type="submit">Sign in</button></form></main>`,
  );
}

export function messagePage(title: string, message: string, status: 'ok' | 'bad' = 'bad'): string {
  return shell(
    title,
    `<main class="login"><h1>${h(title)}</h1><p class="notice ${status}">${h(message)}</p>
<p><a href="/admin">Back to connections</a></p></main>`,
  );
}

export function reconnectPage(v: {
  url: string;
  userId: string;
  providerName: string;
  expiresAt: string;
}): string {
  return shell(
    'Reconnect link',
    `<main class="login"><h1>Reconnect link</h1>
<p>Send this link to <strong>${h(v.userId)}</strong> to reconnect ${h(v.providerName)}. It works once and expires at
<time datetime="${h(v.expiresAt)}">${h(v.expiresAt)}</time>.</p>
<label for="link">Link</label>
<input id="link" class="link" type="text" readonly value="${h(v.url)}">
<p><a href="/admin">Back to connections</a></p></main>`,
  );
}

export function dashboardPage(v: DashboardView): string {
  const counts = new Map<string, number>();
  for (const c of v.connections) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  const summary = [...counts]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([state, n]) => `<li><strong>${n}</strong>${h(state.replaceAll('_', ' '))}</li>`)
    .join('');
  const notice = v.notice ? `<p class="notice ${v.notice.tone}" role="status">${h(v.notice.text)}</p>` : '';
  const logout = v.csrf
    ? `<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="${h(v.csrf)}"><button type="submit">Sign out</button></form>`
    : '';
  const filter = v.back
    ? '<p><a href="/admin">← All connections</a></p>'
    : `<form class="filter" method="get" action="/admin" role="search">
<label for="user">User</label><input id="user" name="user" type="search" value="${h(v.userFilter)}">
<button type="submit">Filter</button>${v.userFilter ? '<a href="/admin">Clear</a>' : ''}</form>`;
  return shell(
    v.title ?? 'Connections',
    `<a class="skip" href="#main">Skip to content</a>
<header class="top"><h1>toolvault <span>admin</span></h1>${logout}</header>
<main id="main">${notice}
<h2 id="conn-h">${h(v.title ?? 'Connections')}</h2>
<ul class="summary" aria-label="Connections by state"><li><strong>${v.connections.length}</strong>total</li>${summary}</ul>
${filter}
<div class="wrap" role="region" aria-labelledby="conn-h" tabindex="0">
<table id="connections"><caption>Connections by user and provider; times are relative to now.</caption>
<thead><tr><th scope="col">User</th><th scope="col">Provider</th><th scope="col">State</th><th scope="col">Scopes</th>
<th scope="col">Account</th><th scope="col">Token age</th><th scope="col">Last refresh</th><th scope="col">Last used</th>
<th scope="col">Last error</th>${v.csrf ? '<th scope="col">Actions</th>' : ''}</tr></thead>
<tbody>${v.connections.map((c) => connectionRow(c, v)).join('') || `<tr><td colspan="10" class="muted">No connections.</td></tr>`}</tbody>
</table></div>
<h2 id="events-h">Recent events</h2>
<div class="wrap" role="region" aria-labelledby="events-h" tabindex="0">
<table id="events"><caption>Newest first: state changes, refreshes, alerts and operator actions.</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">Provider</th>
<th scope="col">Change</th><th scope="col">Reason</th><th scope="col">Details</th></tr></thead>
<tbody>${v.events.map((e) => eventRow(e, v.now)).join('') || `<tr><td colspan="7" class="muted">No events.</td></tr>`}</tbody>
</table></div></main>`,
  );
}

function connectionRow(c: ConnectionView, v: DashboardView): string {
  const label = `${c.providerName} for ${c.userId}`;
  const scopes = c.scopes.length
    ? `<ul class="scopes">${c.scopes.map((s) => `<li><code>${h(s)}</code></li>`).join('')}</ul>`
    : '<span class="muted">none</span>';
  const severe = c.lastError?.kind === 'revoked' || c.lastError?.kind === 'config_error';
  const err = c.lastError
    ? `<span class="${severe ? 'err' : 'warn'}">${h(c.lastError.kind)}</span>${c.lastError.code ? ` <code>${h(c.lastError.code)}</code>` : ''}<br><span class="muted">${ago(c.lastError.at, v.now)}${c.failureStreak > 1 ? `, ${c.failureStreak} in a row` : ''}</span>`
    : '<span class="muted">none</span>';
  const toggle =
    c.state === 'disabled'
      ? actionForm(c, 'enable', 'Enable', `Enable ${label}`, v.csrf)
      : actionForm(c, 'disable', 'Disable', `Disable ${label}`, v.csrf, 'danger');
  const actions = v.csrf
    ? `<td><div class="actions">${toggle}${actionForm(c, 'reconnect', 'Reconnect link', `Create a reconnect link for ${label}`, v.csrf)}</div></td>`
    : '';
  return `<tr data-connection="${h(c.id)}" data-state="${h(c.state)}">
<th scope="row"><a href="/admin/connections/${encodeURIComponent(c.id)}">${h(c.userId)}</a></th>
<td class="nowrap">${h(c.providerName)}</td><td><span class="state state-${h(c.state)}">${h(c.state.replaceAll('_', ' '))}</span></td>
<td>${scopes}</td><td>${c.account ? h(c.account) : '<span class="muted">unknown</span>'}</td>
<td class="num">${c.tokenIssuedAt === null ? '<span class="muted">n/a</span>' : duration(v.now - c.tokenIssuedAt)}</td>
<td class="num">${c.lastRefreshAt === null ? '<span class="muted">never</span>' : ago(c.lastRefreshAt, v.now)}</td>
<td class="num">${c.lastUsedAt === null ? '<span class="muted">never</span>' : ago(c.lastUsedAt, v.now)}</td>
<td>${err}</td>${actions}</tr>`;
}

function actionForm(
  c: ConnectionView,
  action: string,
  text: string,
  label: string,
  csrf: string | null,
  cls = '',
): string {
  return `<form method="post" action="/admin/connections/${encodeURIComponent(c.id)}/${action}">
<input type="hidden" name="csrf" value="${h(csrf ?? '')}"><button type="submit"${cls ? ` class="${cls}"` : ''} aria-label="${h(label)}">${h(text)}</button></form>`;
}

function eventRow(e: EventView, now: number): string {
  const change = e.toState
    ? `${e.fromState ? `${h(e.fromState)} → ` : ''}${h(e.toState)}`
    : '<span class="muted">—</span>';
  const type = e.type === 'alert' ? `<span class="err">alert</span>` : h(e.type);
  return `<tr data-event="${e.id}"${e.type === 'alert' ? ' class="alert"' : ''}><td class="num">${ago(e.at, now)}</td><td>${type}</td><td>${h(e.userId ?? '—')}</td>
<td class="nowrap">${h(e.provider ?? '—')}</td><td>${change}</td><td>${h(e.reason ?? '—')}</td><td class="muted">${h(e.summary)}</td></tr>`;
}

function ago(at: number, now: number): string {
  const iso = new Date(at).toISOString();
  const d = now - at;
  const text = d < 0 ? `in ${duration(-d)}` : `${duration(d)} ago`;
  return `<time datetime="${iso}" title="${iso}">${text}</time>`;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400 * 2) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} d`;
}
