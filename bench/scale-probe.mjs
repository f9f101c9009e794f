// One toolvault process on a prepared vault (TOOLVAULT_HOME): start-up time (createApp: key ring, store open,
// migrations, assertKeysPresent; then the web listener), the scheduler's due query, tool-call latency over an
// in-memory MCP client, and memory. Prints one JSON line. Run by bench/scale.ts.
//
// Plain JavaScript on purpose: memory is measured on the built toolvault (`BENCH_BUILD=dist`, no loader)
// when a fresh build exists, because the TypeScript loader's own thread adds ~40 MB of RSS. With
// `BENCH_BUILD=src` it runs the sources through test/support/ts-register.mjs.
import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import Database from 'better-sqlite3';

const root = process.env.BENCH_BUILD === 'dist' ? '../dist' : '../src';
const ext = process.env.BENCH_BUILD === 'dist' ? 'js' : 'ts';
const { loadConfig } = await import(`${root}/app/config.${ext}`);
const { createApp } = await import(`${root}/app/app.${ext}`);

const CALLS = Number(process.argv[2] ?? 1500);

// The SQL the store prepares for the due query, captured as it is prepared, for its query plan below.
const duePlanSql = [];
let capturing = false;
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql) {
  if (capturing) duePlanSql.push(sql);
  return prepare.call(this, sql);
};
const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const peakRssMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : Number.NaN;
};
const since = (t) => performance.now() - t;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

const t0 = performance.now();
const app = await createApp(loadConfig(process.env), { env: process.env });
const createMs = since(t0);
await app.listen();
const startupMs = since(t0);
const rssAfterStartMb = mb(process.memoryUsage().rss);
const peakAfterStartMb = peakRssMb();

// The scheduler's question: healthy rows past their due time, oldest first. A batch of 200 (one pass), and
// the first row alone (the index seek, comparable between vault sizes).
const store = app.vault.store;
const timeDue = async (limit) => {
  const times = [];
  let n = 0;
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    n = (await store.listDue(Date.now(), limit)).length;
    times.push(since(t));
  }
  times.shift();
  return { ms: median(times), n };
};
capturing = true;
const due200 = await timeDue(200);
capturing = false;
const due1 = await timeDue(1);

const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await app.newMcpServer().connect(serverSide);
const client = new Client({ name: 'scale-probe', version: '1.0.0' });
await client.connect(clientSide);
let failed = 0;
let firstFailure = null;
const call = async (i) => {
  const t = performance.now();
  const r = await client.callTool({
    name: 'github_createIssue',
    arguments: { owner: 'bench', repo: 'load', title: `Scale issue ${i}`, body: 'Created by a benchmark.' },
  });
  if (r.isError) {
    failed++;
    firstFailure ??= JSON.stringify(r.structuredContent).slice(0, 300);
  }
  return since(t);
};
for (let i = 0; i < 300; i++) await call(i);
const latencies = [];
const tc = performance.now();
for (let i = 0; i < CALLS; i++) latencies.push(await call(i));
const wall = since(tc);
latencies.sort((a, b) => a - b);
const rssEndMb = mb(process.memoryUsage().rss);
const peakRssEndMb = peakRssMb();
await client.close();

// Last, because it allocates a row object per connection: the start-up key check alone, on a warm cache...
let t = performance.now();
await app.vault.assertKeysPresent();
const assertKeysMs = since(t);
await app.close();
// ...and what the same check costs when it asks the key_id index for the distinct ids instead.
const home = process.env.TOOLVAULT_HOME;
const db = new Database(join(home, 'vault.db'), { readonly: true });
const distinct = db.prepare('SELECT DISTINCT key_id FROM connections').pluck();
const keyIds = distinct.all();
const keyTimes = [];
for (let i = 0; i < 5; i++) {
  t = performance.now();
  distinct.all();
  keyTimes.push(since(t));
}
const distinctKeyIdsMs = median(keyTimes);
const duePlan = duePlanSql
  .map((sql) => {
    try {
      const explain = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const rows = explain.all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 0));
      return rows.map((r) => r.detail).join('; ');
    } catch (err) {
      return `(no plan: ${err.message})`;
    }
  })
  .join(' | ');
db.close();

const round = (n, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
process.stdout.write(
  `${JSON.stringify({
    build: process.env.BENCH_BUILD === 'dist' ? 'dist' : 'src',
    createMs: round(createMs, 1),
    startupMs: round(startupMs, 1),
    assertKeysMs: round(assertKeysMs, 2),
    distinctKeyIdsMs: round(distinctKeyIdsMs, 3),
    keyIds: keyIds.length,
    duePlan,
    listDue200Ms: round(due200.ms),
    due200: due200.n,
    listDue1Ms: round(due1.ms, 4),
    due1: due1.n,
    rssAfterStartMb,
    peakAfterStartMb,
    rssEndMb,
    peakRssEndMb,
    heapUsedMb: mb(process.memoryUsage().heapUsed),
    dbMb: mb(statSync(join(home, 'vault.db')).size),
    calls: {
      calls: CALLS,
      wallMs: round(wall, 1),
      p50Ms: round(quantile(latencies, 0.5)),
      p99Ms: round(quantile(latencies, 0.99)),
    },
    failed,
    firstFailure,
  })}\n`,
);
process.exit(0);
