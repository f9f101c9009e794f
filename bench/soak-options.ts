/** What a chaos soak run is given (its size, its seed, what to break) and what it reports. */

export interface SoakOptions {
  users: number;
  days: number;
  tickMinutes: number;
  seed: number;
  /** Access token lifetime at every provider. */
  accessTtlSec: number;
  /** Background calls per tick, at most (at least 1). */
  callsPerTick: number;
  /** Chance per tick of a chaos event. */
  chaosRate: number;
  /** Restart (close, reopen on the same vault) at this fraction of the run; null: none. */
  restartAt: number | null;
  /**
   * Self-test of the checks: break toolvault's world on purpose and expect the soak to notice. `ignore-expiry`
   * hides expires_in from GitHub token responses (toolvault then uses tokens past their life), `leak` writes a
   * live token into a log line, `false-downgrade` marks a healthy connection reauthorization_required.
   */
  sabotage?: 'ignore-expiry' | 'leak' | 'false-downgrade';
  progress?: (line: string) => void;
}

export const SHORT: SoakOptions = {
  users: 3,
  days: 1.5,
  tickMinutes: 20,
  seed: 7,
  accessTtlSec: 2 * 3600,
  callsPerTick: 3,
  chaosRate: 0.5,
  restartAt: 0.5,
};

export const FULL: SoakOptions = {
  users: 20,
  days: 28,
  tickMinutes: 15,
  seed: 42,
  accessTtlSec: 2 * 3600,
  callsPerTick: 4,
  chaosRate: 0.35,
  restartAt: 0.5,
};

export interface SoakReport {
  options: SoakOptions;
  realSeconds: number;
  simulatedDays: number;
  ticks: number;
  connections: number;
  toolCalls: number;
  outcomes: Record<string, number>;
  tokenRequests: Record<string, number>;
  faultsAimed: Record<string, number>;
  faultsFired: Record<string, number>;
  revocations: number;
  scopeRemovals: number;
  lostGrants: number;
  downgrades: number;
  reconnects: number;
  restarts: number;
  issuesCreated: number;
  messagesPosted: number;
  bearerCalls: number;
  probes: number;
  secretsChecked: number;
  outputBytesChecked: number;
  violations: string[];
}

/** A report with nothing counted yet. */
export function emptyReport(o: SoakOptions, connections: number): SoakReport {
  return {
    options: o,
    realSeconds: 0,
    simulatedDays: o.days,
    ticks: Math.round((o.days * 24 * 60) / o.tickMinutes),
    connections,
    toolCalls: 0,
    outcomes: {},
    tokenRequests: {},
    faultsAimed: {},
    faultsFired: {},
    revocations: 0,
    scopeRemovals: 0,
    lostGrants: 0,
    downgrades: 0,
    reconnects: 0,
    restarts: 0,
    issuesCreated: 0,
    messagesPosted: 0,
    bearerCalls: 0,
    probes: 0,
    secretsChecked: 0,
    outputBytesChecked: 0,
    violations: [],
  };
}

/** The soak's summary, as lines; the verdict last. */
export function summary(r: SoakReport): string[] {
  const kv = (m: Record<string, number>) =>
    Object.entries(m)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `simulated ${r.simulatedDays} days in ${r.ticks} ticks of ${r.options.tickMinutes} min (${r.realSeconds} s real), seed ${r.options.seed}`,
    `${r.options.users} users x 3 providers = ${r.connections} connections; access tokens live ${r.options.accessTtlSec / 3600} h`,
    `tool calls ${r.toolCalls}: ${kv(r.outcomes)}`,
    `token requests: ${kv(r.tokenRequests)}`,
    `API calls with a bearer token ${r.bearerCalls} (probes ${r.probes})`,
    `faults aimed: ${kv(r.faultsAimed)}`,
    `faults fired: ${kv(r.faultsFired)}`,
    `revocations ${r.revocations}, scope removals ${r.scopeRemovals}, grants lost to a lost token response ${r.lostGrants}, downgrades ${r.downgrades}, reconnects ${r.reconnects}, restarts ${r.restarts}`,
    `writes: ${r.issuesCreated} issues, ${r.messagesPosted} Slack posts; secrets checked ${r.secretsChecked} against ${Math.round(r.outputBytesChecked / 1024)} KB of output`,
    r.violations.length === 0 ? 'invariants: all held' : `invariants: ${r.violations.length} VIOLATIONS`,
    ...r.violations.map((v) => `  - ${v}`),
  ];
}
