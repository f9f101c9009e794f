/**
 * The path an agent may give `<provider>.request`: relative to the provider's API base, and nothing that
 * could leave it. The API client refuses anything outside the base again when it resolves the URL; this
 * check refuses the attempts themselves with a clear message (absolute URLs, `//host`, `..` in any spelling,
 * backslashes, a query or fragment smuggled into the path, control characters).
 */

export const MAX_PATH = 2000;

/** Why `path` is refused, or null when it may be sent. */
export function pathProblem(path: string): string | null {
  if (path.length === 0 || path.length > MAX_PATH) return `path must be 1-${MAX_PATH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'path has control characters';
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//'))
    return 'path must be relative to the API base, not an absolute URL';
  if (path.includes('\\')) return 'path must not contain backslashes';
  if (path.includes('?') || path.includes('#')) return 'put query parameters in `query`, not in the path';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'path has an invalid percent-encoding';
  }
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return 'path must not contain . or .. segments';
  if (
    decoded.includes('\\') ||
    /^[a-z][a-z0-9+.-]*:/i.test(decoded.replace(/^\/+/, '')) ||
    decoded.startsWith('//')
  )
    return 'path must stay under the API base';
  return null;
}
