import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { ConsentProblem, type ConsentService } from '../auth/consent/links.js';
import { transition } from '../auth/states.js';
import type { ConnectionRow, ConnectionState, Store } from '../vault/types.js';

/**
 * What an operator can do to a connection from the dashboard: disable it (calls are refused; a refresh in
 * flight is fenced out because the state change bumps the version its commit expects), enable it again (back
 * to the state it had), and make a reconnect link for its owner. Every action is a recorded state change or
 * consent; none of them touches a token.
 */

export type OperatorOutcome =
  | { ok: true; row: ConnectionRow }
  | { ok: false; problem: 'not_found' | 'not_allowed' | 'busy'; message: string };

export interface ReconnectLink {
  url: string;
  expiresAt: string;
  userId: string;
  provider: string;
}

export class OperatorActions {
  constructor(
    private readonly d: { store: () => Store; consent: ConsentService; clock: Clock; log: Logger },
  ) {}

  disable(connectionId: string, actor: string): Promise<OperatorOutcome> {
    return this.#move(connectionId, actor, () => 'disabled', 'operator_disabled');
  }

  /** Back to the state it had before it was disabled (healthy when that is unknown). */
  enable(connectionId: string, actor: string): Promise<OperatorOutcome> {
    return this.#move(connectionId, actor, (row) => this.#stateBeforeDisable(row), 'operator_enabled');
  }

  /** A fresh single-use connect link that re-authorizes the connection's owner. */
  async reconnectLink(connectionId: string): Promise<ReconnectLink | { problem: string; message: string }> {
    const row = await this.d.store().getConnectionById(connectionId);
    if (!row) return { problem: 'not_found', message: 'This connection no longer exists.' };
    try {
      const started = await this.d.consent.start(row.userId, row.provider, undefined, true);
      if (started.status !== 'pending') return { problem: 'not_allowed', message: 'No link was needed.' };
      return {
        url: started.authUrl,
        expiresAt: started.expiresAt,
        userId: row.userId,
        provider: row.provider,
      };
    } catch (err) {
      if (err instanceof ConsentProblem && err.code === 'disabled')
        return { problem: 'not_allowed', message: 'Enable the connection before sending its owner a link.' };
      throw err;
    }
  }

  async #move(
    id: string,
    actor: string,
    target: (row: ConnectionRow) => Promise<ConnectionState> | ConnectionState,
    reason: string,
  ): Promise<OperatorOutcome> {
    const store = this.d.store();
    // The version check in transition() loses to a refresh committing at the same moment: read again, retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await store.getConnectionById(id);
      if (!row) return { ok: false, problem: 'not_found', message: 'This connection no longer exists.' };
      const to = await target(row);
      if (row.state === to) return { ok: true, row };
      if (row.state === 'pending')
        return {
          ok: false,
          problem: 'not_allowed',
          message: 'A connection still being set up cannot change.',
        };
      const now = this.d.clock.now();
      const moved = await transition(store, row, { to, reason, evidence: { actor } }, now);
      if (moved) {
        this.d.log.info({ connection: id, from: row.state, to, actor }, `operator: ${reason}`);
        return { ok: true, row: moved };
      }
    }
    return { ok: false, problem: 'busy', message: 'The connection kept changing; try again.' };
  }

  async #stateBeforeDisable(row: ConnectionRow): Promise<ConnectionState> {
    if (row.state !== 'disabled') return row.state;
    const changes = await this.d.store().listEvents({
      connectionId: row.id,
      type: 'state_changed',
      newestFirst: true,
      limit: 50,
    });
    const before = changes.find((e) => e.toState === 'disabled')?.fromState;
    return before && before !== 'refreshing' && before !== 'pending' && before !== 'disabled'
      ? before
      : 'healthy';
  }
}
