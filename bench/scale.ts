import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { loadConfig } from '../src/app/config.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/app/app.js';
import { connectGithub, startGitHubRig } from './github-rig.js';
import { freshBuild, runJson } from './processes.js';
import { type BenchResult, finish, type Row } from './report.js';
import type { LatencySummary } from './stats.js';
import { median, ratio, round } from './stats.js';
import { seedConnections } from './seed.js';

/**
 * Scale: a vault of 100,000 GitHub connections against one of 10, each opened by a fresh toolvault process
 * (bench/scale-probe.ts): peak RSS, start-up time, the scheduler's due query, and a tool call's latency for a
 * user among them. One connection per vault is a real consent against the GitHub fake (its calls succeed);
 * the others are seeded with sealed tokens by bench/seed.ts. Probes alternate between the two vaults.
 *
 *   node --import ./test/support/ts-register.mjs bench/scale.ts [--quick] [--connections=100000]
 */

const quick = process.argv.includes('--quick');
const BIG = Number(
  process.argv.find((a) => a.startsWith('--connections='))?.split('=')[1] ?? (quick ? 20_000 : 100_000),
);
const SMALL = 10;
const PROBES = quick ? 1 : 3;
const CALLS = quick ? 500 : 1500;
const LIFETIME_MS = 8 * 3600_000;
const RSS_TARGET_MB = 300;
const CALL_TARGET = 1.1;

interface Probe {
  build: 'dist' | 'src';
  createMs: number;
  startupMs: number;
  assertKeysMs: number;
  distinctKeyIdsMs: number;
  duePlan: string;
  listDue200Ms: number;
  due200: number;
  listDue1Ms: number;
  due1: number;
  rssAfterStartMb: number;
  peakAfterStartMb: number;
  rssEndMb: number;
  peakRssEndMb: number;
  heapUsedMb: number;
  dbMb: number;
  calls: Pick<LatencySummary, 'calls' | 'wallMs' | 'p50Ms' | 'p99Ms'>;
  failed: number;
  firstFailure: string | null;
}

const rig = await startGitHubRig();
const homes: string[] = [];
try {
  const prepare = async (connections: number) => {
    const home = mkdtempSync(join(tmpdir(), `toolvault-scale-${connections}-`));
    homes.push(home);
    const env = rig.env({ TOOLVAULT_HOME: home, TOOLVAULT_PORT: '0' });
    const app = await createApp(loadConfig(env), { env, log: createLogger('warn') });
    await app.listen();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await app.newMcpServer().connect(serverSide);
    const client = new Client({ name: 'scale-setup', version: '1.0.0' });
    await client.connect(clientSide);
    await connectGithub(client);
    await client.close();
    const seeded = seedConnections({
      dbPath: join(home, 'vault.db'),
      vault: app.vault,
      provider: 'github',
      count: connections - 1,
      now: Date.now(),
      lifetimeMs: LIFETIME_MS,
      userId: (i) => `user-${String(i).padStart(6, '0')}@example.com`,
    });
    await app.close();
    console.log(`  seeded ${connections} connections in ${round(seeded.ms / 1000, 1)} s`);
    return { home, env };
  };
  const small = await prepare(SMALL);
  const big = await prepare(BIG);

  // Memory is measured on the built JS when it is current: the TypeScript loader's thread adds ~40 MB.
  const dist = freshBuild();
  const probes: { size: number; p: Probe }[] = [];
  for (let i = 0; i < PROBES; i++) {
    for (const [size, v] of [
      [SMALL, small],
      [BIG, big],
    ] as const) {
      const env = { ...v.env, BENCH_BUILD: dist ? 'dist' : 'src' };
      const p = await runJson<Probe>('bench/scale-probe.mjs', [String(CALLS)], env, { ts: !dist });
      probes.push({ size, p });
      console.log(
        `  ${String(size).padStart(6)} connections (${p.build}): start-up ${p.startupMs} ms (assertKeysPresent ` +
          `${p.assertKeysMs} ms; DISTINCT key_id ${p.distinctKeyIdsMs} ms), listDue ${p.listDue200Ms} ms for ` +
          `${p.due200} rows, ${p.listDue1Ms} ms for ${p.due1}; call p50 ${p.calls.p50Ms} ms p99 ${p.calls.p99Ms} ms; ` +
          `RSS after start ${p.rssAfterStartMb} MB, peak ${p.peakRssEndMb} MB; vault ${p.dbMb} MB` +
          (p.failed ? `; ${p.failed} FAILED calls, first ${p.firstFailure}` : ''),
      );
    }
  }
  const of = (size: number, f: (p: Probe) => number) =>
    median(probes.filter((x) => x.size === size).map((x) => f(x.p)));
  const paired = (f: (p: Probe) => number) => {
    const bigs = probes.filter((x) => x.size === BIG);
    const smalls = probes.filter((x) => x.size === SMALL);
    return ratio(median(bigs.map((b, i) => f(b.p) / f(smalls[i]!.p))), 1);
  };
  const n = BIG.toLocaleString('en-US');
  const rows: Row[] = [];
  const peak = of(BIG, (p) => p.peakRssEndMb);
  rows.push({
    measure: `RSS after start-up, ${n} connections`,
    toolvault: `${of(BIG, (p) => p.rssAfterStartMb)} MB`,
    baseline: `${of(SMALL, (p) => p.rssAfterStartMb)} MB`,
    ratio: paired((p) => p.rssAfterStartMb),
    target: '',
    met: null,
  });
  rows.push({
    measure: `peak RSS, ${n} connections`,
    toolvault: `${peak} MB`,
    baseline: `${of(SMALL, (p) => p.peakRssEndMb)} MB`,
    ratio: paired((p) => p.peakRssEndMb),
    target: `< ${RSS_TARGET_MB} MB`,
    met: peak < RSS_TARGET_MB,
  });
  const p50 = paired((p) => p.calls.p50Ms);
  rows.push({
    measure: `tool call p50, ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.calls.p50Ms),
      2,
    )} ms`,
    baseline: `${round(
      of(SMALL, (p) => p.calls.p50Ms),
      2,
    )} ms`,
    ratio: p50,
    target: `<= ${CALL_TARGET}x`,
    met: p50 <= CALL_TARGET,
  });
  rows.push({
    measure: `tool call p99, ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.calls.p99Ms),
      2,
    )} ms`,
    baseline: `${round(
      of(SMALL, (p) => p.calls.p99Ms),
      2,
    )} ms`,
    ratio: paired((p) => p.calls.p99Ms),
    target: '',
    met: null,
  });
  rows.push({
    measure: `start-up (open, assertKeysPresent, listen), ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.startupMs),
      0,
    )} ms`,
    baseline: `${round(
      of(SMALL, (p) => p.startupMs),
      0,
    )} ms`,
    ratio: paired((p) => p.startupMs),
    target: '',
    met: null,
  });
  rows.push({
    measure: `assertKeysPresent alone, ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.assertKeysMs),
      1,
    )} ms`,
    baseline: `${round(
      of(SMALL, (p) => p.assertKeysMs),
      2,
    )} ms`,
    ratio: paired((p) => p.assertKeysMs),
    target: '',
    met: null,
  });
  rows.push({
    measure: `the same key check as SELECT DISTINCT key_id (the fix), ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.distinctKeyIdsMs),
      2,
    )} ms`,
    baseline: `${round(
      of(SMALL, (p) => p.distinctKeyIdsMs),
      3,
    )} ms`,
    // What the fix would cost, for scale; against microseconds a ratio says nothing.
    ratio: null,
    target: '',
    met: null,
  });
  rows.push({
    measure: `scheduler due query, first due row (listDue limit 1), ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.listDue1Ms),
      3,
    )} ms`,
    baseline: `${round(
      of(SMALL, (p) => p.listDue1Ms),
      3,
    )} ms`,
    ratio: paired((p) => p.listDue1Ms),
    target: '',
    met: null,
  });
  rows.push({
    measure: `scheduler due query, one pass (listDue limit 200), ${n} connections`,
    toolvault: `${round(
      of(BIG, (p) => p.listDue200Ms),
      2,
    )} ms for ${of(BIG, (p) => p.due200)} rows`,
    baseline: `${round(
      of(SMALL, (p) => p.listDue200Ms),
      3,
    )} ms for ${of(SMALL, (p) => p.due200)} rows`,
    ratio: null,
    target: '',
    met: null,
  });
  const failures = probes
    .filter((x) => x.p.failed > 0)
    .map((x) => `${x.size} connections: ${x.p.failed} failed calls`);
  finish({
    name: 'scale',
    title: 'Scale',
    baseline: `the same measure on a vault of ${SMALL} connections`,
    rows,
    failures,
    notes: [
      `${PROBES} fresh process(es) per vault, alternating; ${CALLS} sequential github.createIssue calls each over an in-memory MCP client`,
      dist
        ? 'probes ran the built JS (dist/, current with src/)'
        : 'probes ran the sources through the TypeScript loader (no current build): RSS includes the loader thread, about 40 MB',
      `vault file ${of(BIG, (p) => p.dbMb)} MB; the due query's plan: ${probes.find((x) => x.size === BIG)?.p.duePlan}`,
    ],
    raw: { probes },
  } satisfies BenchResult);
} finally {
  await rig.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
}
