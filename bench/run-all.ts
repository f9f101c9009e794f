import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, TS_LOADER } from './processes.js';
import { type BenchResult, machine, markdown, RESULTS_DIR } from './report.js';

/**
 * `npm run bench`: every benchmark in turn, each in its own process, then `bench/results/latest.json` and
 * `latest.md` (the table, with the machine it ran on). `--quick` passes the quick sizes on; `--readme`
 * also replaces the "## Performance" section of README.md with the table; `--report-only` runs nothing and
 * rebuilds the table from the results already there.
 */

const BENCHES = ['overhead', 'refresh-storm', 'scale', 'cold-start', 'soak'] as const;
const quick = process.argv.includes('--quick');
// --report-only: no runs, just the table (and README) from the results already in bench/results/.
const reportOnly = process.argv.includes('--report-only');
const started = reportOnly ? 0 : Date.now();
const exits: Record<string, number | null> = {};
for (const name of reportOnly ? [] : BENCHES) {
  console.log(`\n### bench/${name}.ts`);
  const args = [
    ...TS_LOADER,
    `bench/${name}.ts`,
    ...(quick ? (name === 'soak' ? ['--short'] : ['--quick']) : []),
  ];
  // `npm run bench` has just built dist/: the benchmarks measure that build even if src/ moves meanwhile.
  const run = spawnSync(process.execPath, args, {
    cwd: REPO,
    stdio: 'inherit',
    env: { ...process.env, TOOLVAULT_BENCH_BUILT: '1' },
  });
  exits[name] = run.status;
}

const results: BenchResult[] = [];
for (const name of BENCHES) {
  const file = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(file) || statSync(file).mtimeMs < started) continue;
  results.push(JSON.parse(readFileSync(file, 'utf8')) as BenchResult);
}
const m = machine();
const table = markdown(results, m);
writeFileSync(
  join(RESULTS_DIR, 'latest.json'),
  `${JSON.stringify({ machine: m, quick, exits, results }, null, 2)}\n`,
);
writeFileSync(join(RESULTS_DIR, 'latest.md'), `# toolvault benchmarks\n\n${table}`);

if (process.argv.includes('--readme')) {
  const readme = join(REPO, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const section =
    '## Performance\n\n' +
    'Each figure is measured against a baseline in the same run (`npm run bench`; `npm run soak` for the ' +
    'chaos soak alone); raw results in `bench/results/latest.json`.\n\n' +
    table;
  const start = text.indexOf('\n## Performance\n');
  let next: string;
  if (start < 0) next = `${text.trimEnd()}\n\n${section}`;
  else {
    const end = text.indexOf('\n## ', start + 1);
    next = `${text.slice(0, start + 1)}${section}${end < 0 ? '' : `\n${text.slice(end + 1)}`}`;
  }
  writeFileSync(readme, next.endsWith('\n') ? next : `${next}\n`);
  // `npm run lint` checks README.md with Prettier, which aligns table columns.
  spawnSync(join(REPO, 'node_modules', '.bin', 'prettier'), ['--write', 'README.md'], {
    cwd: REPO,
    stdio: 'ignore',
  });
}

console.log(`\n${table}`);
const failed = reportOnly ? [] : BENCHES.filter((b) => exits[b] !== 0);
if (failed.length > 0) {
  console.log(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
