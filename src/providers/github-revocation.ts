import { basicAuth } from './revocation.js';
import type { ProviderRevocation } from './types.js';

/**
 * GitHub's grant deletion, `DELETE /applications/{client_id}/grant`: Basic client authentication and the
 * access token in the JSON body (never the URL). It ends every token of the grant. A 404 means the grant or
 * token is already gone.
 */
export const githubRevocation: ProviderRevocation = {
  name: 'github-grant',
  request(configured, url, t) {
    if (t.hint !== 'access_token') return null;
    const { clientId, clientSecret = '' } = configured.settings;
    return {
      url: url.replace('{client_id}', encodeURIComponent(clientId)),
      init: {
        method: 'DELETE',
        headers: {
          ...(configured.declaration.api?.headers ?? {}),
          authorization: basicAuth(clientId, clientSecret),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ access_token: t.token }),
      },
    };
  },
  read({ status }) {
    return status === 404 ? { result: 'already_invalid', code: 'not_found' } : null;
  },
};
