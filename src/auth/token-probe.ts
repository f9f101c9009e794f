import type { Logger } from '../log.js';
import { probe } from '../providers/api-client.js';
import type { ConfiguredProvider, TokenSet } from '../providers/types.js';
import { VaultIntegrityError } from '../vault/seal.js';
import type { ConnectionRow } from '../vault/types.js';
import type { Vault } from '../vault/vault.js';

/**
 * The probe step the scheduler's checks (refresh/checks.ts) and the heartbeat (ops/heartbeat.ts) share: open
 * the connection's access token and try it with the provider's cheap read-only call.
 * - `alive`: the provider took the token;
 * - `dead`: the provider refused it — half the evidence a downgrade needs; the refresher gathers the rest;
 * - `no_answer`: no verdict (timeout, network, 5xx, no probe declared) — it proves nothing (seed 004);
 * - `unreadable`: the sealed tokens cannot be opened (a key missing from the ring, a damaged row) — the
 *   operator's problem, never the user's grant; logged here, and the refresher records it.
 */
export type ProbeFinding = 'alive' | 'dead' | 'no_answer' | 'unreadable';

export interface ProbeDeps {
  vault: Vault;
  log: Logger;
  fetch?: typeof fetch;
}

export async function probeToken(
  d: ProbeDeps,
  p: ConfiguredProvider,
  row: ConnectionRow,
  options: { timeoutMs?: number } = {},
): Promise<ProbeFinding> {
  let tokens: TokenSet;
  try {
    tokens = d.vault.openTokens(row);
  } catch (err) {
    if (!(err instanceof VaultIntegrityError)) throw err;
    d.log.error(
      { connection: row.id, provider: row.provider, integrity: err.kind, keyId: err.keyId },
      'probe skipped: the stored secret cannot be opened',
    );
    return 'unreadable';
  }
  const { verdict } = await probe(p, tokens.accessToken, d.fetch ?? fetch, {
    ...options,
    ...(tokens.values ? { values: tokens.values } : {}),
  });
  return verdict === 'valid' ? 'alive' : verdict === 'invalid' ? 'dead' : 'no_answer';
}
