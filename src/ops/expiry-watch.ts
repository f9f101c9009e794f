import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Episodes } from './episodes.js';
import type { ConnectionRow, Store } from '../vault/types.js';

/**
 * Refresh tokens with an absolute end (GitHub App user tokens: `refresh_token_expires_in`; a declared
 * `refreshAbsoluteLifetimeSec`) die then whatever toolvault does. Where a refresh renews the end (rotation),
 * the scheduler keeps it far away; where nothing can, the owner must reconnect before it. This watch raises a
 * `refresh_token_expiring` alert `warnMs` ahead, once, and closes it with `recovered` once the end has moved
 * (the owner reconnected, or a rotation renewed it).
 *
 * The alert carries no link: alerts reach webhooks, logs and dashboards that people other than the owner
 * read, and a live link there let a webhook reader put their own account into the owner's vault (issue 13).
 * It says how the owner gets one instead: within the warning window `auth_start` answers with a fresh link
 * (links.ts `renewBeforeMs`), and an operator can make one on the dashboard.
 */

/** What the alert tells whoever reads it, in place of a link. */
export const RECONNECT_HOW =
  'The owner asks their agent to run auth_start for this provider (it returns a fresh connect link while the grant is near its end), or an operator makes a reconnect link for them on the /admin dashboard.';

export const EXPIRING = 'refresh_token_expiring';
const DAY_MS = 24 * 3_600_000;

export interface ExpiryWatchDeps {
  store: () => Store;
  episodes: Episodes;
  clock: Clock;
  log: Logger;
  /** How long before the end the warning is raised (config `expiryWarningDays`). */
  warnMs: number;
}

export class ExpiryWatch {
  constructor(private readonly d: ExpiryWatchDeps) {}

  get warnMs(): number {
    return this.d.warnMs;
  }

  /** One pass over `rows` (default: every connection); resolves to the warnings raised. */
  async check(rows?: ConnectionRow[]): Promise<number> {
    const store = this.d.store();
    const all = rows ?? (await store.listConnections());
    const open = new Set(
      (await store.listEpisodes())
        .filter((e) => e.reason === EXPIRING && e.connectionId !== null)
        .map((e) => e.connectionId),
    );
    let raised = 0;
    for (const row of all) {
      const now = this.d.clock.now();
      const usable = row.state === 'healthy' || row.state === 'scope_update_required';
      const end = row.refreshExpiresAt;
      const warn = usable && end !== null && end - now <= this.d.warnMs;
      if (!warn) {
        // Reconnected or renewed (a downgrade is not a recovery: it gets its own alert and link).
        if (open.has(row.id) && usable)
          await this.d.episodes.closeForConnection(row.id, EXPIRING, 'extended');
        continue;
      }
      if (open.has(row.id) || end === null) continue;
      if (await this.#warn(row, end, now)) raised++;
    }
    return raised;
  }

  async #warn(row: ConnectionRow, end: number, now: number): Promise<boolean> {
    const left = Math.max(0, end - now);
    const opened = await this.d.episodes.openForConnection(row, EXPIRING, {
      kind: 'expiring',
      refreshExpiresAt: new Date(end).toISOString(),
      daysLeft: Math.floor(left / DAY_MS),
      reconnect: RECONNECT_HOW,
    });
    if (opened) {
      this.d.log.warn(
        { connection: row.id, provider: row.provider, refreshExpiresAt: new Date(end).toISOString() },
        'refresh token ends soon: the owner must reconnect (auth_start, or the dashboard)',
      );
    }
    return opened;
  }
}
