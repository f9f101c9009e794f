import type { Logger } from '../log.js';
import type { Episodes } from './episodes.js';
import type { ClientSecretSwitch } from '../auth/oauth-client.js';
import { newEvent } from '../vault/events.js';
import type { EventListener } from '../vault/observed.js';
import type { EventRow, NewEvent, Store } from '../vault/types.js';

/**
 * Alerts: events of type `alert` that need a person. The refresh engine raises its own (`refresh_failing`
 * after three failures in a row, `provider_config_error`, `refresh_rejected_but_token_alive`); the rules here
 * add the ones that follow from a state change, so every path that moves a connection alerts the same way.
 * Other sources: `connection_idle` (idle-watch.ts, the flat line of seed 004) and `client_secret_fallback`
 * (a provider accepted only the previous client secret, seed 000).
 *
 * Alerts come in episodes (episodes.ts): each opens once and closes with a `recovered` event (type
 * `recovered`, reason = the alert's) when the trouble is over; `provider_outage` and `provider_config_error`
 * are one alert for the whole provider, and `refresh_token_expiring` carries a reconnect link for the owner.
 */
export const ALERT_REASONS = [
  'refresh_failing',
  'provider_config_error',
  'refresh_rejected_but_token_alive',
  'reauthorization_required',
  'scope_update_required',
  'connection_idle',
  'client_secret_fallback',
  'provider_outage',
  'secret_unreadable',
  'refresh_token_expiring',
] as const;

/** The alert a stored event calls for, or null. Operator actions (enable, disable) never alert. */
export function alertFor(e: EventRow): NewEvent | null {
  if (e.type !== 'state_changed' || e.reason?.startsWith('operator_')) return null;
  if (e.toState !== 'reauthorization_required' && e.toState !== 'scope_update_required') return null;
  const detail: Record<string, unknown> = {
    kind: e.toState === 'reauthorization_required' ? 'revoked' : 'missing_scope',
    because: e.reason,
    stateEvent: e.id,
  };
  if (Array.isArray(e.detail['needed'])) detail['needed'] = e.detail['needed'];
  return newEvent(e, e.at, { type: 'alert', reason: e.toState, detail });
}

/**
 * A listener that appends the alerts {@link alertFor} derives. `store` is the observed store (given late,
 * since it is built with this listener), so the alert itself reaches metrics and webhooks too. With
 * `episodes`, a downgrade opens an episode (one alert until it is over) and a completed consent closes the
 * connection's episodes with `recovered` events.
 */
export function alertRules(store: () => Store, log: Logger, episodes?: Episodes): EventListener {
  return async (e) => {
    if (episodes && e.connectionId && reconnected(e)) {
      await episodes.reconnected(e.connectionId);
      return;
    }
    const alert = alertFor(e);
    if (!alert) return;
    if (episodes) {
      await episodes.openFromEvent(e, alert.reason ?? 'unknown', alert.detail);
      return;
    }
    await store().appendEvent(alert);
    log.warn(
      { connection: e.connectionId, provider: e.provider, reason: alert.reason },
      `alert: ${alert.reason ?? 'unknown'}`,
    );
  };
}

/** A consent finished for the connection: its grant is new, whatever troubled the old one is over. */
function reconnected(e: EventRow): boolean {
  return e.type === 'state_changed' && e.toState === 'healthy' && !!e.reason?.startsWith('consent_completed');
}

/**
 * The events for a provider whose token requests switched client secret (oauth-client.ts): the switch, and
 * when toolvault had to fall back to the previous secret, a config alert — the new secret was refused.
 */
export function clientSecretSwitchEvents(e: ClientSecretSwitch, now: number): NewEvent[] {
  const subject = { connectionId: null, userId: null, provider: e.provider };
  const switched = newEvent(subject, now, {
    type: 'client_secret_switched',
    reason: e.now === 'previous' ? 'current_secret_rejected' : 'previous_secret_rejected',
    detail: { using: e.now, grantType: e.grantType },
  });
  if (e.now !== 'previous') return [switched];
  return [
    switched,
    newEvent(subject, now, {
      type: 'alert',
      reason: 'client_secret_fallback',
      detail: { kind: 'config_error', using: 'previous', grantType: e.grantType },
    }),
  ];
}
