import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort } from '../test/support/cli.js';
import { connectGithub, startGitHubRig } from './github-rig.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import { type Child, runJson, spawnNode, TS_LOADER } from './processes.js';
import { type BenchResult, finish, type Row } from './report.js';
import { median, ratio, round } from './stats.js';

/**
 * Call overhead: `github.createIssue` against the GitHub fake through toolvault (`serve --http` and
 * `serve --stdio`, from source: store read, decryption and freshness check on every call) and through a bare
 * MCP SDK server that forwards the same call with a hard-coded token. Same fake, same layout: the fake in this
 * process, the server in a child, the load generator in another child. Rounds alternate which server goes
 * first; each figure is the median over rounds and each ratio the median of the rounds' paired ratios, so a
 * neighbour's burst of CPU during one round does not decide the result.
 *
 *   node --import ./test/support/ts-register.mjs bench/overhead.ts [--quick] [--only=http-1,http-32,stdio-1]
 */

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 5;
const CALLS = quick ? 300 : 1000;
const TARGET = 1.15;

type Server = 'toolvault' | 'bare';
interface Scenario {
  id: string;
  label: string;
  clients: number;
  transport: 'http' | 'stdio';
}
const ALL_SCENARIOS: Scenario[] = [
  { id: 'http-1', label: 'HTTP, 1 client', clients: 1, transport: 'http' },
  { id: 'http-32', label: 'HTTP, 32 clients', clients: 32, transport: 'http' },
  { id: 'stdio-1', label: 'stdio, 1 client', clients: 1, transport: 'stdio' },
];
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const SCENARIOS = ALL_SCENARIOS.filter((s) => !only || only.split(',').includes(s.id));

interface Run extends LoadResult {
  server: Server;
  scenario: string;
  /** 0: the extra run with idempotency keys. */
  round: number;
  /** This process's CPU per call: mostly the GitHub fake's work. */
  fakeCpuMsPerCall: number;
}

const rig = await startGitHubRig();
const children: Child[] = [];
try {
  // Hosted use: callers present an API key (sha256 and a primary-key read per request).
  const apiKey = await rig.createApiKey('local');
  const auth = { authorization: `Bearer ${apiKey}` };
  const port = await freePort();
  const tv = spawnNode('src/cli/main.ts', ['serve', '--http'], rig.env({ TOOLVAULT_PORT: String(port) }));
  children.push(tv);
  const tvUrl = (await tv.waitFor(/MCP endpoint:\s+(\S+)/))[1]!;
  const setup = new Client({ name: 'bench-setup', version: '1.0.0' });
  await setup.connect(new StreamableHTTPClientTransport(new URL(tvUrl), { requestInit: { headers: auth } }));
  await connectGithub(setup);
  await setup.close();
  const bareEnv = { BENCH_GITHUB_URL: rig.github.url, BENCH_GITHUB_TOKEN: rig.liveAccessToken() };
  const bare = spawnNode('bench/bare-server.ts', ['--http', '0'], bareEnv);
  children.push(bare);
  const bareUrl = (await bare.waitFor(/bare MCP endpoint: (\S+)/))[1]!;

  const runs: Run[] = [];
  const once = async (s: Scenario, server: Server, roundNo: number, extra: Partial<LoadSpec> = {}) => {
    const http =
      server === 'toolvault'
        ? { url: tvUrl, pid: tv.child.pid, headers: auth }
        : { url: bareUrl, pid: bare.child.pid, headers: {} };
    const target: LoadSpec['target'] =
      s.transport === 'http'
        ? { http: http.url, headers: http.headers }
        : server === 'toolvault'
          ? {
              stdio: {
                args: [...TS_LOADER, 'src/cli/main.ts', 'serve', '--stdio'],
                env: rig.env({ TOOLVAULT_PORT: '0' }),
              },
            }
          : { stdio: { args: [...TS_LOADER, 'bench/bare-server.ts', '--stdio'], env: bareEnv } };
    const spec: LoadSpec = {
      target,
      clients: s.clients,
      calls: CALLS,
      warmup: Math.max(300, s.clients * 20),
      ...(s.transport === 'http' && http.pid ? { serverPid: http.pid } : {}),
      ...extra,
    };
    const fake0 = process.cpuUsage();
    const r = await runJson<LoadResult>('bench/loadgen.ts', [JSON.stringify(spec)], {});
    const fake = process.cpuUsage(fake0);
    const fakeCpuMsPerCall = round((fake.user + fake.system) / 1000 / (spec.calls + spec.warmup), 4);
    const run: Run = { ...r, server, scenario: s.id, round: roundNo, fakeCpuMsPerCall };
    console.log(
      `  ${s.label.padEnd(17)} ${server.padEnd(9)} round ${roundNo}: ${r.callsPerSec} calls/s, p50 ${r.p50Ms} ms, ` +
        `p99 ${r.p99Ms} ms; CPU per call: server ${r.serverCpuMsPerCall} ms, fake ${fakeCpuMsPerCall} ms, ` +
        `load generator ${r.loadgenCpuMsPerCall} ms${r.errors ? `; ${r.errors} ERRORS` : ''}`,
    );
    runs.push(run);
    return run;
  };

  for (let n = 1; n <= ROUNDS; n++) {
    for (const s of SCENARIOS) {
      // Alternate which server goes first, so drift in the machine's state does not favour one side.
      const order: Server[] = n % 2 === 1 ? ['bare', 'toolvault'] : ['toolvault', 'bare'];
      for (const server of order) await once(s, server, n);
    }
  }
  // Context: the same call under an idempotency key (two more vault writes per call: claim and complete).
  const keyed: Run[] = [];
  if (!only) {
    for (let n = 1; n <= Math.min(ROUNDS, 3); n++) {
      await once(ALL_SCENARIOS[0]!, 'bare', -n);
      keyed.push(
        await once(ALL_SCENARIOS[0]!, 'toolvault', -n, { idempotencyKeyPrefix: `bench-${n}-${Date.now()}` }),
      );
    }
  }

  const of = (scenario: string, server: Server, rounds: (n: number) => boolean) =>
    runs
      .filter((r) => r.scenario === scenario && r.server === server && rounds(r.round))
      .sort((a, b) => a.round - b.round);
  const figure = (xs: Run[], f: (r: Run) => number | null) => median(xs.map((r) => f(r) ?? Number.NaN));
  const pairedRatio = (tvs: Run[], bares: Run[], f: (r: Run) => number | null) =>
    ratio(median(tvs.map((t, i) => (f(t) ?? Number.NaN) / (f(bares[i]!) ?? Number.NaN))), 1);
  const ms = (n: number) => `${round(n, 2)} ms`;
  const rows: Row[] = [];
  const measure = (label: string, tvs: Run[], bares: Run[], withTarget: boolean) => {
    const p50 = pairedRatio(tvs, bares, (r) => r.p50Ms);
    rows.push({
      measure: `p50, ${label}`,
      toolvault: ms(figure(tvs, (r) => r.p50Ms)),
      baseline: ms(figure(bares, (r) => r.p50Ms)),
      ratio: p50,
      target: withTarget ? `<= ${TARGET}x` : '',
      met: withTarget ? p50 <= TARGET : null,
    });
    if (!withTarget) return;
    rows.push({
      measure: `p99, ${label}`,
      toolvault: ms(figure(tvs, (r) => r.p99Ms)),
      baseline: ms(figure(bares, (r) => r.p99Ms)),
      ratio: pairedRatio(tvs, bares, (r) => r.p99Ms),
      target: '',
      met: null,
    });
    rows.push({
      measure: `calls/s, ${label}`,
      toolvault: `${round(
        figure(tvs, (r) => r.callsPerSec),
        0,
      )}`,
      baseline: `${round(
        figure(bares, (r) => r.callsPerSec),
        0,
      )}`,
      ratio: pairedRatio(tvs, bares, (r) => r.callsPerSec),
      target: '',
      met: null,
    });
    rows.push({
      measure: `server CPU per call, ${label}`,
      toolvault: ms(figure(tvs, (r) => r.serverCpuMsPerCall)),
      baseline: ms(figure(bares, (r) => r.serverCpuMsPerCall)),
      ratio: pairedRatio(tvs, bares, (r) => r.serverCpuMsPerCall),
      target: '',
      met: null,
    });
  };
  for (const s of SCENARIOS)
    measure(
      s.label,
      of(s.id, 'toolvault', (n) => n > 0),
      of(s.id, 'bare', (n) => n > 0),
      true,
    );
  if (keyed.length > 0) {
    measure(
      'HTTP, 1 client, with idempotencyKey',
      keyed,
      of('http-1', 'bare', (n) => n < 0),
      false,
    );
  }

  const failures = runs
    .filter((r) => r.errors > 0)
    .map(
      (r) => `${r.server} ${r.scenario} round ${r.round}: ${r.errors} failed calls, first: ${r.firstError}`,
    );
  finish({
    name: 'overhead',
    title: 'Call overhead',
    baseline: 'a bare MCP SDK server forwarding the same github.createIssue with a hard-coded token',
    rows,
    failures,
    notes: [
      `${ROUNDS} round(s) of ${CALLS} calls per server and scenario after warm-up; figures are medians over rounds, ` +
        'ratios the median of per-round paired ratios',
    ],
    raw: { runs },
  } satisfies BenchResult);
} finally {
  for (const c of children) await c.stop();
  await rig.close();
}
