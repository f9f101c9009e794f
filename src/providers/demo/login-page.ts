/** What the demo sign-in page shows. Every string is escaped when rendered. */
export interface LoginPageView {
  title: string;
  /** The client's display name (or id). */
  client: string;
  scopes: string[];
  /** Form target: the interaction URL itself. */
  action: string;
  /** Set when already signed in and only consent is asked: the form then has no name field. */
  signedInAs?: string;
  error?: string;
  /** Re-filled into the name field after an error. */
  name?: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** The demo provider's sign-in and consent page: one form, any name works. */
export function renderLoginPage(view: LoginPageView): string {
  const e = escapeHtml;
  const scopes = view.scopes.length
    ? `<ul class="scopes">${view.scopes.map((s) => `<li><code>${e(s)}</code></li>`).join('')}</ul>`
    : '<p>No scopes were requested.</p>';
  const error = view.error ? `<p id="name-error" class="error" role="alert">${e(view.error)}</p>` : '';
  const field =
    view.signedInAs === undefined
      ? `<label for="name">Your name</label>
      <input id="name" name="name" type="text" autocomplete="username" required autofocus
        value="${e(view.name ?? '')}"${view.error ? ' aria-invalid="true" aria-describedby="name-error"' : ''}>
      ${error}`
      : `<p>Signed in as <strong>${e(view.signedInAs)}</strong>.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(view.title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1b1f24; }
  main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
    box-shadow: 0 1px 3px rgb(0 0 0 / 15%); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  label { display: block; font-weight: 600; margin-bottom: .25rem; }
  input[type=text] { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #8a929c;
    border-radius: 4px; }
  button { margin-top: 1rem; padding: .55rem 1.2rem; font: inherit; border: 0; border-radius: 4px;
    background: #1f5fbf; color: #fff; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
  .error { color: #b00020; margin: .5rem 0 0; }
  .scopes { padding-left: 1.2rem; }
</style>
</head>
<body>
<main>
  <h1>${e(view.title)}</h1>
  <p>Demo sign-in: any name works.</p>
  <p><strong>${e(view.client)}</strong> asks for:</p>
  ${scopes}
  <form method="post" action="${e(view.action)}">
      ${field}
    <button type="submit">Sign in and allow</button>
  </form>
</main>
</body>
</html>
`;
}

/** A minimal page for interaction errors (expired or unknown sign-in). */
export function renderErrorPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body>
</html>
`;
}
