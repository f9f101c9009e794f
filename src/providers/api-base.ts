import { ToolvaultError } from '../errors.js';
import type { ProviderDeclaration } from './types.js';

/**
 * A connection's API base: `endpoints.apiBaseUrl` with its `{name}` placeholders filled from the
 * connection's values (Jira `https://api.atlassian.com/ex/jira/{cloudId}`, Salesforce
 * `{instanceUrl}/services/data/v62.0`, Zendesk `https://{subdomain}.zendesk.com/api/v2`). The token goes only
 * under that base, so a value can never move it: a placeholder that opens the template stands for an origin
 * and must be exactly one (https, or http to this machine); anywhere else a value is one host label or path
 * segment made of letters, digits, `-` and `_`.
 */

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The placeholder names in a template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function isOrigin(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  return secure && url.origin === value.replace(/\/+$/, '') && url.username === '' && url.password === '';
}

function refuse(name: string, why: string): never {
  throw new ToolvaultError('config_error', `connection value ${name} ${why}; reconnect to fix it`, {
    code: 'connection_value_invalid',
  });
}

/**
 * Fills `template`. Throws ToolvaultError `config_error` (code `connection_value_invalid`) when a value is
 * missing or could steer the base elsewhere; the message names the value, never shows it.
 */
export function fillApiBase(template: string, values: Readonly<Record<string, string>> = {}): string {
  return template.replace(PLACEHOLDER, (_whole, name: string, offset: number) => {
    const value = values[name];
    if (value === undefined) return refuse(name, 'is missing');
    if (offset === 0) {
      if (!isOrigin(value)) refuse(name, 'is not an https origin');
      return value.replace(/\/+$/, '');
    }
    if (!SEGMENT.test(value)) refuse(name, 'has characters an API base cannot hold');
    return value;
  });
}

/** The declaration's API base for a connection with these values; undefined when it declares none. */
export function apiBaseFor(
  declaration: Pick<ProviderDeclaration, 'endpoints'>,
  values?: Readonly<Record<string, string>>,
): string | undefined {
  const template = declaration.endpoints.apiBaseUrl;
  return template === undefined ? undefined : fillApiBase(template, values);
}

/** Whether `value` may fill placeholder `name` of `template` (checked at consent, before anything is stored). */
export function acceptsValue(template: string, name: string, value: string): boolean {
  try {
    fillApiBase(
      template.replace(PLACEHOLDER, (w, n: string) => (n === name ? w : 'x')),
      { [name]: value },
    );
    return true;
  } catch {
    return false;
  }
}
