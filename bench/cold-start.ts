import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freshBuild, REPO } from './processes.js';
import { type BenchResult, finish, type Row } from './report.js';
import { median, ratio, round } from './stats.js';

/**
 * Cold start: from spawning `node dist/cli/main.js serve --stdio` to the answer to the first `tools/list`
 * (initialize, initialized, tools/list written as an agent client does), against a bare MCP SDK stdio server
 * script doing the same. The JSON-RPC is written and read raw, so no client library sits in the timing.
 * Runs alternate; figures are medians. Needs `npm run build` (npm run bench builds first).
 *
 *   node --import ./test/support/ts-register.mjs bench/cold-start.ts [--quick]
 */

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 11;
const TARGET = 1.5;

interface Variant {
  id: string;
  label: string;
  args: string[];
  env: Record<string, string>;
}

/** Milliseconds from spawn to the tools/list response (and the number of tools listed). */
function coldStart(v: Variant): Promise<{ ms: number; tools: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, v.args, {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', ...v.env },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => fail(new Error(`${v.id}: no tools/list answer in 20 s; stderr ${err.slice(-1500)}`)),
      20_000,
    );
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const send = (msg: object): void => void child.stdin.write(`${JSON.stringify(msg)}\n`);
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('exit', (code) => {
      if (code !== null && code !== 0) fail(new Error(`${v.id} exited ${code}: ${err.slice(-1500)}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const msg = JSON.parse(line) as { id?: number; result?: { tools?: unknown[] } };
        if (msg.id === 1) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
        } else if (msg.id === 2) {
          const ms = performance.now() - start;
          clearTimeout(timer);
          child.stdin.end();
          child.kill('SIGTERM');
          child.once('exit', () => resolve({ ms, tools: msg.result?.tools?.length ?? 0 }));
        }
      }
    });
    // Written at once, as clients do: the server reads it when it is ready.
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'cold-start', version: '1.0.0' },
      },
    });
  });
}

const fresh = freshBuild();
if (!fresh && !process.argv.includes('--allow-stale')) {
  console.error(
    'bench/cold-start: dist/ is missing or older than src/; run `npm run build` first (or --allow-stale)',
  );
  process.exit(1);
}
const home = mkdtempSync(join(tmpdir(), 'toolvault-cold-'));
const configured = join(home, 'configured');
try {
  const key = randomBytes(32).toString('base64');
  const configFile = join(home, 'toolvault.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      providers: {
        github: { clientId: 'Iv1.cold', clientSecret: 'cold-secret' },
        slack: { clientId: '1.cold', clientSecret: 'cold-secret' },
      },
    }),
  );
  const tv = (demo: boolean, dir: string): Record<string, string> => ({
    TOOLVAULT_HOME: dir,
    TOOLVAULT_MASTER_KEY: key,
    TOOLVAULT_PORT: '0',
    ...(demo ? {} : { TOOLVAULT_DEMO: '0', TOOLVAULT_CONFIG: configFile }),
  });
  const variants: Variant[] = [
    { id: 'bare', label: 'bare SDK stdio server', args: ['bench/bare-stdio.mjs'], env: {} },
    {
      id: 'default',
      label: 'toolvault serve --stdio, out of the box (demo provider on)',
      args: ['dist/cli/main.js', 'serve', '--stdio'],
      env: tv(true, join(home, 'default')),
    },
    {
      id: 'configured',
      label: 'toolvault serve --stdio, GitHub and Slack configured, demo off',
      args: ['dist/cli/main.js', 'serve', '--stdio'],
      env: tv(false, configured),
    },
  ];
  // First start of each creates the vault (migrations); cold starts after that open an existing one.
  for (const v of variants) await coldStart(v);
  const times = new Map<string, number[]>(variants.map((v) => [v.id, []]));
  const tools = new Map<string, number>();
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = await coldStart(v);
      times.get(v.id)!.push(r.ms);
      tools.set(v.id, r.tools);
    }
  }
  const bare = median(times.get('bare')!);
  const rows: Row[] = variants
    .filter((v) => v.id !== 'bare')
    .map((v) => {
      const ms = median(times.get(v.id)!);
      const r = ratio(ms, bare);
      return {
        measure: `spawn to first tools/list answer, ${v.label} (${tools.get(v.id)} tools)`,
        toolvault: `${round(ms, 0)} ms`,
        baseline: `${round(bare, 0)} ms`,
        ratio: r,
        target: `<= ${TARGET}x`,
        met: r <= TARGET,
      };
    });
  for (const v of variants)
    console.log(
      `  ${v.id}: ${times
        .get(v.id)!
        .map((t) => round(t, 0))
        .join(', ')} ms`,
    );
  finish({
    name: 'cold-start',
    title: 'Cold start',
    baseline: 'a bare MCP SDK stdio server script (one tool, plain JS)',
    rows,
    failures: [],
    notes: [
      `median of ${RUNS} alternating runs each, on an existing vault`,
      ...(fresh ? [] : ['dist/ was older than src/ (--allow-stale): the figures are for the last build']),
    ],
    raw: { times: Object.fromEntries(times) },
  } satisfies BenchResult);
} finally {
  rmSync(home, { recursive: true, force: true });
}
