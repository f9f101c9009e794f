import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { type Env, envChoice } from './config-env.js';

/**
 * Who may finish a connect link (DESIGN.md "People in the browser"): toolvault's own sign-in, the operator's
 * user verifier, or — hosted installs only — an explicit opt-out. Environment over file, as everywhere.
 *
 * - `signIn.oidc.{issuer, clientId, clientSecret, userClaim}` (`TOOLVAULT_SIGNIN_ISSUER`, `_CLIENT_ID`,
 *   `_CLIENT_SECRET`, `_USER_CLAIM`): sign people in with an OpenID Connect provider. With JWT callers
 *   configured, the issuer and user claim default to theirs.
 * - `signIn.links` (`TOOLVAULT_SIGNIN_LINKS=1`): one-time links from `toolvault users link U` are the method.
 * - `userVerifier.{url, secret}` (`TOOLVAULT_USER_VERIFIER_URL`, `_SECRET`): the operator's verifier.
 * - `userVerification: "off"` (`TOOLVAULT_USER_VERIFICATION=off`): a hosted install activates grants with
 *   the browser binding alone; start-up warns and connect pages say whose vault a grant goes to.
 */

const httpUrl = z.url({ protocol: /^https?$/ });
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const signInSchema = z
  .object({
    oidc: z
      .object({
        issuer: httpUrl.optional().describe('default: the JWT issuer'),
        clientId: z.string().min(1),
        clientSecret: z.string().min(1).optional().describe('better in TOOLVAULT_SIGNIN_CLIENT_SECRET'),
        userClaim: z.string().min(1).optional().describe('claim naming the vault user (default sub)'),
      })
      .strict()
      .optional(),
    links: z.boolean().optional().describe('one-time links from `toolvault users link` are the method'),
  })
  .strict();

export const userVerifierSchema = z
  .object({
    url: httpUrl.describe("the operator's verifier page"),
    secret: z.string().min(32).optional().describe('HS256 key; better in TOOLVAULT_USER_VERIFIER_SECRET'),
  })
  .strict();

export const userVerificationSchema = z.enum(['auto', 'off']);

export interface SignInConfig {
  oidc: { issuer: string; clientId: string; clientSecret: string | undefined; userClaim: string } | undefined;
  links: boolean;
}

export interface UserVerifierConfig {
  url: string;
  secret: string;
}

type FileSignIn = z.infer<typeof signInSchema> | undefined;

export function loadSignIn(
  env: Env,
  file: FileSignIn,
  jwt: { issuer: string; userClaim: string } | undefined,
): SignInConfig {
  const f = file?.oidc;
  const clientId = env['TOOLVAULT_SIGNIN_CLIENT_ID'] || f?.clientId;
  const issuerRaw = env['TOOLVAULT_SIGNIN_ISSUER'] || f?.issuer || (clientId ? jwt?.issuer : undefined);
  let oidc: SignInConfig['oidc'];
  if (clientId || env['TOOLVAULT_SIGNIN_ISSUER']) {
    const field = env['TOOLVAULT_SIGNIN_ISSUER'] ? 'TOOLVAULT_SIGNIN_ISSUER' : 'signIn.oidc.issuer';
    if (!clientId) throw new ConfigError('TOOLVAULT_SIGNIN_CLIENT_ID', 'required with a sign-in issuer');
    if (!issuerRaw || !httpUrl.safeParse(issuerRaw).success)
      throw new ConfigError(field, `not an http(s) URL: ${issuerRaw ?? '(none)'}`);
    const u = new URL(issuerRaw);
    if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname))
      throw new ConfigError(field, 'must be https (plain http is allowed only to this machine)');
    oidc = {
      issuer: issuerRaw,
      clientId,
      clientSecret: env['TOOLVAULT_SIGNIN_CLIENT_SECRET'] || f?.clientSecret,
      userClaim:
        env['TOOLVAULT_SIGNIN_USER_CLAIM'] ||
        f?.userClaim ||
        (jwt && jwt.issuer === issuerRaw ? jwt.userClaim : 'sub'),
    };
  }
  const linksEnv = envChoice(env, 'TOOLVAULT_SIGNIN_LINKS', ['0', '1', 'true', 'false'] as const);
  const links = linksEnv === undefined ? (file?.links ?? false) : linksEnv === '1' || linksEnv === 'true';
  return { oidc, links };
}

export function loadUserVerifier(
  env: Env,
  file: z.infer<typeof userVerifierSchema> | undefined,
): UserVerifierConfig | undefined {
  const url = env['TOOLVAULT_USER_VERIFIER_URL'] || file?.url;
  if (!url) return undefined;
  const field = env['TOOLVAULT_USER_VERIFIER_URL'] ? 'TOOLVAULT_USER_VERIFIER_URL' : 'userVerifier.url';
  if (!httpUrl.safeParse(url).success) throw new ConfigError(field, `not an http(s) URL: ${url}`);
  const u = new URL(url);
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname))
    throw new ConfigError(field, 'must be https (plain http is allowed only to this machine)');
  const secret = env['TOOLVAULT_USER_VERIFIER_SECRET'] || file?.secret;
  if (!secret || secret.length < 32)
    throw new ConfigError(
      'TOOLVAULT_USER_VERIFIER_SECRET',
      'required with a verifier URL, at least 32 characters',
    );
  return { url, secret };
}

export function loadUserVerification(env: Env, file: 'auto' | 'off' | undefined): 'auto' | 'off' {
  return envChoice(env, 'TOOLVAULT_USER_VERIFICATION', ['auto', 'off'] as const) ?? file ?? 'auto';
}
