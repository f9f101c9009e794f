import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FakeClock } from '../test/support/clock.js';
import type { SoakOptions, SoakReport } from './soak-options.js';
import type { ApiFault, SoakWire, TokenFault } from './soak-wire.js';
import type { ProviderId, World } from './soak-world.js';

/**
 * What every part of a chaos soak run shares: the options and the report, the one fake clock, the fakes
 * (world) and the wire that aims faults, the seeded choices, and the truth the soak keeps about each
 * connection (what it did to it), against which every result is judged.
 */

/** What the soak did to one connection since the user last connected it. */
export interface Truth {
  revoked: boolean;
  lost: boolean;
  scopeRemoved: boolean;
  /** Tick of the last token fault that fired, for which a failing call may be explained. */
  tokenFaultTick: number;
  /** Tick the scope was removed (a GitHub App permission comes back when the user reconnects). */
  scopeRemovedTick: number;
}

export const cleanTruth = (): Truth => ({
  revoked: false,
  lost: false,
  scopeRemoved: false,
  tokenFaultTick: -99,
  scopeRemovedTick: -99,
});

export interface SoakContext {
  o: SoakOptions;
  r: SoakReport;
  clock: FakeClock;
  world: World;
  wire: SoakWire;
  users: string[];
  rand: () => number;
  pick<T>(xs: readonly T[]): T;
  truth(user: string, p: ProviderId): Truth;
  /** The user connected again: nothing the soak did before holds any more. */
  resetTruth(user: string, p: ProviderId): void;
  violation(tick: number, what: string): void;
}

/** The write (or read) each provider's background calls make. */
export const TOOLS: Record<ProviderId, string> = {
  github: 'github_createIssue',
  slack: 'slack_postMessage',
  demo: 'demo_whoami',
};

/** The error kind a call hit by each API fault must answer with. */
export const EXPECTED_API: Record<ApiFault, string> = {
  '500': 'transient',
  '429': 'rate_limited',
  timeout: 'transient',
  reset: 'transient',
  lost: 'transient',
};

/** The kind the refresh_failed event of each token fault must record. */
export const EXPECTED_TOKEN: Record<TokenFault, string> = {
  '500': 'transient',
  '429': 'rate_limited',
  timeout: 'transient',
  lost: 'transient',
};

export const sc = (r: CallToolResult): Record<string, unknown> =>
  (r.structuredContent ?? {}) as Record<string, unknown>;

export const bump = (m: Record<string, number>, k: string, by = 1) => void (m[k] = (m[k] ?? 0) + by);
