import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { probe } from '../providers/api-client.js';
import type { ConfiguredProvider } from '../providers/types.js';
import { classifyTokenError } from '../auth/refresh/classify.js';
import type { OAuthClients } from '../auth/oauth-client.js';
import type { RefreshOutcome, Refresher } from '../auth/refresh/refresher.js';
import type { ConnectionRow } from '../vault/types.js';
import type { Vault } from '../vault/vault.js';
import { VaultIntegrityError } from '../vault/seal.js';

/**
 * `toolvault doctor`: startup validation (seed 003). The configuration and the key were already loaded by the
 * time this runs (a bad one fails before, naming its field); here every provider's metadata is loaded, every
 * stored secret is opened, and every usable connection is proven with a live probe — refreshed first when its
 * token has expired, through the same refresher (and lease) the server uses, so the verdicts follow the same
 * rules: a connection is only reported gone on evidence. Each problem comes with what to do about it.
 */

export type FindingStatus = 'ok' | 'warn' | 'broken';

export interface DoctorFinding {
  status: FindingStatus;
  /** `config`, `key`, `provider demo`, `alice/github`... */
  subject: string;
  message: string;
  /** What to do, for anything not ok. */
  action?: string;
}

export interface DoctorReport {
  ok: boolean;
  findings: DoctorFinding[];
}

export interface DoctorDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  oauth: OAuthClients;
  refresher: Refresher;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** Refresh before probing when the token expires within this many seconds. */
  skewSec?: number;
  /** Providers whose connections are served by a running server only (the built-in demo). */
  unchecked?: ReadonlySet<string>;
}

export async function runDoctor(d: DoctorDeps): Promise<DoctorReport> {
  const findings: DoctorFinding[] = [];
  for (const [id, p] of d.providers) findings.push(await checkProvider(d, id, p));

  const rows = await d.vault.store.listConnections();
  let opened = 0;
  for (const row of rows) {
    const f = await checkConnection(d, row);
    if (f.opened) opened++;
    findings.push(f.finding);
  }
  const keyIds = [...new Set(rows.map((r) => r.secret.keyId))];
  findings.splice(d.providers.size, 0, {
    status: opened === rows.length ? 'ok' : 'broken',
    subject: 'key',
    message: `master key ${d.vault.sealer.currentKeyId} in use; ${opened} of ${rows.length} stored secret(s) open${
      keyIds.length > 0 ? ` (sealed under ${keyIds.join(', ')})` : ''
    }`,
    ...(opened === rows.length
      ? {}
      : { action: 'supply every key the vault was sealed with (TOOLVAULT_MASTER_KEYS), or reconnect' }),
  });
  return { ok: findings.every((f) => f.status !== 'broken'), findings };
}

async function checkProvider(d: DoctorDeps, id: string, p: ConfiguredProvider): Promise<DoctorFinding> {
  const subject = `provider ${id}`;
  try {
    // Builds the client's metadata (OIDC discovery included) without sending anyone anywhere.
    await d.oauth
      .get(id)
      .authorizationUrl({ redirectUri: 'http://127.0.0.1/doctor', state: 'doctor', scopes: [] });
  } catch (err) {
    const f = classifyTokenError(err, p.declaration, d.clock.now());
    return {
      status: 'broken',
      subject,
      message: `cannot load its metadata (${f.code ?? f.kind})`,
      action: `check providers.${id} (issuer, endpoints) and that the provider is reachable`,
    };
  }
  const e = p.declaration.endpoints;
  if (!p.settings.clientSecret)
    return {
      status: 'warn',
      subject,
      message: `no client secret configured (token endpoint ${e.tokenUrl})`,
      action: `set providers.${id}.clientSecret (or ${id.toUpperCase()}_CLIENT_SECRET) unless it is a public client`,
    };
  return { status: 'ok', subject, message: `token endpoint ${e.tokenUrl}` };
}

async function checkConnection(
  d: DoctorDeps,
  row: ConnectionRow,
): Promise<{ opened: boolean; finding: DoctorFinding }> {
  const subject = `${row.userId}/${row.provider}`;
  const reconnect = `toolvault connect ${row.provider} --user ${row.userId}`;
  const out = (status: FindingStatus, message: string, action?: string, opened = true) => ({
    opened,
    finding: { status, subject, message, ...(action ? { action } : {}) },
  });
  let accessToken: string;
  let values: Record<string, string> | undefined;
  try {
    ({ accessToken, values } = d.vault.openTokens(row));
  } catch (err) {
    if (!(err instanceof VaultIntegrityError)) throw err;
    return out(
      'broken',
      `stored secret cannot be opened (${err.kind}, key ${row.secret.keyId})`,
      `supply key ${row.secret.keyId}, or reconnect: ${reconnect}`,
      false,
    );
  }
  if (row.state === 'reauthorization_required')
    return out(
      'broken',
      `the grant is gone (${row.lastError?.code ?? 'revoked'}); only the user can restore it`,
      reconnect,
    );
  if (row.state === 'pending') return out('warn', 'consent was started but never finished', reconnect);
  if (row.state === 'disabled') return out('warn', 'disabled by an operator', 'enable it, or disconnect it');
  const p = d.providers.get(row.provider);
  if (!p) {
    if (d.unchecked?.has(row.provider)) return out('ok', 'served by a running toolvault (not checked here)');
    return out(
      'warn',
      `provider ${row.provider} is not configured: this connection cannot be used`,
      `configure providers.${row.provider}, or disconnect it`,
    );
  }

  let current = row;
  const skewMs = (d.skewSec ?? 60) * 1000;
  if (row.accessExpiresAt !== null && row.accessExpiresAt - d.clock.now() <= skewMs) {
    const refreshed = await d.refresher.refresh(row.id, 'doctor', row.version);
    if (!refreshed.ok) return fromRefresh(refreshed, out, reconnect, row.provider);
    current = refreshed.row;
    ({ accessToken, values } = d.vault.openTokens(current));
  }
  let seen = await probe(p, accessToken, d.fetch ?? fetch, {
    timeoutMs: 10_000,
    ...(values ? { values } : {}),
  });
  if (seen.verdict === 'invalid') {
    // Half the evidence; the refresher gets the other half before anything is reported gone.
    const refreshed = await d.refresher.refresh(current.id, 'doctor', current.version);
    if (!refreshed.ok) return fromRefresh(refreshed, out, reconnect, row.provider);
    const fresh = d.vault.openTokens(refreshed.row);
    seen = await probe(p, fresh.accessToken, d.fetch ?? fetch, {
      timeoutMs: 10_000,
      ...(fresh.values ? { values: fresh.values } : {}),
    });
    current = refreshed.row;
  }
  const who = seen.account ? ` as ${seen.account.name ?? seen.account.id}` : '';
  if (seen.verdict === 'valid') {
    if (current.failureStreak > 0)
      return out(
        'warn',
        `works${who}, but its last ${current.failureStreak} refresh(es) failed (${current.lastError?.code ?? current.lastError?.kind})`,
        'see the refresh_failed events; toolvault keeps retrying',
      );
    return out('ok', `works${who}${current.scopes.length ? `; scopes ${current.scopes.join(' ')}` : ''}`);
  }
  if (seen.verdict === 'invalid')
    return out('broken', `the provider rejects a freshly refreshed token (probe ${seen.status})`, reconnect);
  return out(
    'warn',
    p.declaration.probe
      ? `could not verify: the provider did not answer the probe (${seen.status ?? 'no response'})`
      : 'could not verify: the provider declares no probe',
    'run doctor again later',
  );
}

function fromRefresh(
  r: Extract<RefreshOutcome, { ok: false }>,
  out: (s: FindingStatus, m: string, a?: string) => { opened: boolean; finding: DoctorFinding },
  reconnect: string,
  provider: string,
) {
  const code = r.code ?? r.kind;
  if (r.downgraded || r.row?.state === 'reauthorization_required')
    return out(
      'broken',
      `the grant is gone: refresh rejected (${code}) and the token fails a live probe`,
      reconnect,
    );
  if (r.kind === 'config_error')
    return out(
      'broken',
      `the provider rejects toolvault's client configuration (${code})`,
      `check providers.${provider}: client id, client secret, client authentication, token URL`,
    );
  if (r.kind === 'revoked')
    return out(
      'warn',
      `refresh rejected (${code}) though the token still works`,
      `expect to reconnect soon: ${reconnect}`,
    );
  return out(
    'warn',
    `the provider did not refresh the token (${code}); toolvault will retry`,
    r.retryAfterSeconds ? `run doctor again in ${r.retryAfterSeconds} s` : 'run doctor again later',
  );
}
