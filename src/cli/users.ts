import { createSignInLink, SIGNIN_LINK_TTL_MS } from '../server/web/signin-links.js';
import { type Command, say, withApp } from './command.js';

/**
 * `toolvault users link USER [--minutes N]` — a one-time sign-in link for installs without an identity
 * provider: the person opens it in their browser and is signed in to toolvault as USER, which is the proof a
 * connect link asks for in hosted mode (signIn.links). The link alone goes to stdout (scripts capture it);
 * the vault keeps only its hash, and it works once, for 15 minutes unless --minutes says otherwise (at most
 * a day). Hand it to that person only, over a channel you trust.
 */

const USER_ID = /^[^\s\p{Cc}][^\p{Cc}]{0,199}$/u;

export const users: Command = {
  name: 'users',
  usage: 'toolvault users link USER [--minutes N]',
  options: { minutes: { type: 'string' } },
  run: (o, positionals) =>
    withApp({}, async (app) => {
      const [sub, user] = positionals;
      if (sub !== 'link') throw new Error(`users: expected link${sub ? `, got "${sub}"` : ''}`);
      if (!user || !USER_ID.test(user)) throw new Error('users link: name the user (1-200 characters)');
      let ttlMs = SIGNIN_LINK_TTL_MS;
      if (typeof o['minutes'] === 'string') {
        const m = Number(o['minutes']);
        if (!Number.isInteger(m) || m < 1 || m > 24 * 60)
          throw new Error('--minutes: a whole number from 1 to 1440');
        ttlMs = m * 60_000;
      }
      const { url, expiresAt } = await createSignInLink(
        { store: app.vault.store, clock: app.clock, publicUrl: app.publicUrl() },
        user,
        ttlMs,
      );
      process.stdout.write(`${url}\n`);
      say(`A one-time sign-in link for "${user}", valid until ${new Date(expiresAt).toISOString()}.`);
      say('Give it to that person only: whoever opens it first is signed in as them.');
      return 0;
    }),
};
