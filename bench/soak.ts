import { finish } from './report.js';
import { FULL, runSoak, SHORT, type SoakOptions, summary } from './soak-engine.js';

/**
 * `npm run soak`: the chaos soak (bench/soak-engine.ts). Options: --short (the CI size), --days=N, --users=N,
 * --seed=N. Exits non-zero when an invariant broke.
 */

const arg = (name: string): number | undefined => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return raw === undefined ? undefined : Number(raw);
};
const base = process.argv.includes('--short') ? SHORT : FULL;
const options: SoakOptions = {
  ...base,
  days: arg('days') ?? base.days,
  users: arg('users') ?? base.users,
  seed: arg('seed') ?? base.seed,
  progress: (line) => console.log(line),
};
const report = await runSoak(options);
for (const line of summary(report)) console.log(line);
const held = report.violations.length === 0;
finish({
  name: 'soak',
  title: 'Chaos soak',
  baseline: 'invariants (no baseline)',
  rows: [
    {
      measure: `${report.simulatedDays} simulated days, ${report.connections} connections, ${report.toolCalls} tool calls, ${Object.values(report.faultsFired).reduce((a, b) => a + b, 0)} faults fired, ${report.revocations} revocations, ${report.scopeRemovals} scope removals, ${report.restarts} restart`,
      toolvault: `${report.violations.length} violations`,
      baseline: '—',
      ratio: null,
      target: 'all invariants hold',
      met: held,
    },
  ],
  failures: report.violations,
  notes: [],
  raw: report,
});
