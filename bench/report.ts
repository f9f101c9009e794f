import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * What every benchmark hands back: rows for the markdown table (toolvault's figure, the baseline measured in
 * the same run, their ratio and the target) and its raw figures. Each benchmark prints its rows as its last
 * lines and writes `bench/results/<name>.json`; `bench/run-all.ts` merges them into `latest.json` and
 * `latest.md`.
 */

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export interface Row {
  /** e.g. `p50, HTTP, 1 client`. */
  measure: string;
  toolvault: string;
  baseline: string;
  /** toolvault / baseline; null when the row has no baseline. */
  ratio: number | null;
  /** e.g. `<= 1.15x`; empty for context rows. */
  target: string;
  /** null: a context row with no target. */
  met: boolean | null;
}

export interface BenchResult {
  name: string;
  title: string;
  /** What the baseline column is. */
  baseline: string;
  rows: Row[];
  /** Hard failures (an invariant broken, a call that failed): the benchmark exits non-zero. */
  failures: string[];
  notes: string[];
  raw: unknown;
}

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  memoryGb: number;
  platform: string;
  at: string;
}

export function machine(): Machine {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform}-${process.arch}`,
    at: new Date().toISOString(),
  };
}

const verdict = (met: boolean | null): string => (met === null ? '' : met ? 'met' : 'NOT met');

export function ratioText(r: number | null): string {
  return r === null ? '—' : `${r.toFixed(2)}x`;
}

/** The benchmark's last lines: one per row, then its failures. */
export function printResult(r: BenchResult): void {
  console.log(`\n== ${r.title} (baseline: ${r.baseline})`);
  for (const note of r.notes) console.log(`   note: ${note}`);
  for (const row of r.rows) {
    const target = row.target ? `  target ${row.target}: ${verdict(row.met)}` : '';
    console.log(
      `   ${row.measure}: toolvault ${row.toolvault} | baseline ${row.baseline} | ${ratioText(row.ratio)}${target}`,
    );
  }
  for (const f of r.failures) console.log(`   FAILED: ${f}`);
}

/** Writes `bench/results/<name>.json`, prints the rows, and sets a non-zero exit code on failures. */
export function finish(r: BenchResult): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, `${r.name}.json`),
    `${JSON.stringify({ machine: machine(), ...r }, null, 2)}\n`,
  );
  printResult(r);
  if (r.failures.length > 0) process.exitCode = 1;
}

/** The markdown table of several results, with the machine it ran on. */
export function markdown(results: readonly BenchResult[], m: Machine): string {
  const lines = [
    `Measured ${m.at.slice(0, 10)} on ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}.`,
    '',
    '| benchmark | measure | toolvault | baseline | ratio | target | status |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const row of r.rows) {
      lines.push(
        `| ${r.title} | ${row.measure} | ${row.toolvault} | ${row.baseline} | ${ratioText(row.ratio)} | ${row.target} | ${verdict(row.met)} |`,
      );
    }
  }
  lines.push('');
  lines.push('Baselines: ' + results.map((r) => `${r.title}: ${r.baseline}`).join('; ') + '.');
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.title}: ${n}`));
  const failures = results.flatMap((r) => r.failures.map((f) => `- **${r.title} FAILED**: ${f}`));
  if (notes.length + failures.length > 0) lines.push('', ...failures, ...notes);
  return `${lines.join('\n')}\n`;
}
