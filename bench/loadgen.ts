import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { issueArgs } from './github-rig.js';
import { cpuMs } from './cpu.js';
import { type LatencySummary, since, summarize } from './stats.js';

/**
 * The load generator, run in its own process so its cost does not land on the server under test. It opens
 * `clients` MCP sessions (streamable HTTP to a URL, or one stdio child it spawns), warms up, then makes a
 * fixed number of `github_createIssue` calls in closed loops (each client waits for its answer before the
 * next call) and prints one JSON line: latency summary, errors, and the first error seen.
 *
 *   node --import ./test/support/ts-register.mjs bench/loadgen.ts '<LoadSpec JSON>'
 */

export interface LoadSpec {
  target:
    | { http: string; headers?: Record<string, string> }
    | { stdio: { args: string[]; env: Record<string, string> } };
  clients: number;
  calls: number;
  warmup: number;
  /** The HTTP server's pid, to read its CPU time (a stdio server's pid is known here). */
  serverPid?: number;
  /** When set, every call carries `idempotencyKey: <prefix>-<n>` (a fresh key each call). */
  idempotencyKeyPrefix?: string;
}

export interface LoadResult extends LatencySummary {
  /** The load generator's own CPU over the measured calls, per call (ms). */
  loadgenCpuMsPerCall: number;
  /** The server's CPU over the measured calls, per call (ms); null when its pid is unknown. */
  serverCpuMsPerCall: number | null;
  errors: number;
  firstError: string | null;
}

let stdioPid: number | null = null;

async function connect(spec: LoadSpec, stderrTail: string[]): Promise<Client> {
  const client = new Client({ name: 'loadgen', version: '1.0.0' });
  if ('http' in spec.target) {
    const headers = spec.target.headers ?? {};
    await client.connect(
      new StreamableHTTPClientTransport(new URL(spec.target.http), { requestInit: { headers } }),
    );
  } else {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: spec.target.stdio.args,
      env: { PATH: process.env['PATH'] ?? '', ...spec.target.stdio.env },
      stderr: 'pipe',
    });
    // Drained as a real client would (a full pipe would block the server's synchronous log writes).
    transport.stderr?.on('data', (d: Buffer) => {
      stderrTail.push(d.toString('utf8'));
      if (stderrTail.length > 50) stderrTail.shift();
    });
    await client.connect(transport);
    stdioPid = transport.pid;
  }
  return client;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const stderrTail: string[] = [];
  const clients: Client[] = [];
  for (let i = 0; i < spec.clients; i++) clients.push(await connect(spec, stderrTail));
  let seq = 0;
  let errors = 0;
  let firstError: string | null = null;
  const call = async (c: Client): Promise<void> => {
    const n = seq++;
    const extra = spec.idempotencyKeyPrefix ? { idempotencyKey: `${spec.idempotencyKeyPrefix}-${n}` } : {};
    const r = (await c.callTool({
      name: 'github_createIssue',
      arguments: issueArgs(n, extra),
    })) as CallToolResult;
    const status = (r.structuredContent as { status?: string } | undefined)?.status;
    if (r.isError || status !== 'ok') {
      errors++;
      firstError ??= JSON.stringify(r.structuredContent ?? r.content).slice(0, 500);
    }
  };
  const phase = async (total: number, latencies: number[] | null): Promise<number> => {
    let started = 0;
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        while (started < total) {
          started++;
          const t = performance.now();
          await call(c);
          latencies?.push(since(t));
        }
      }),
    );
    return since(t0);
  };
  // Errors in the warm-up count too: every call of a run must succeed.
  await phase(spec.warmup, null);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const serverPid = spec.serverPid ?? stdioPid;
  const server0 = serverPid === null ? null : cpuMs(serverPid);
  const wall = await phase(spec.calls, latencies);
  const cpu = process.cpuUsage(cpu0);
  const server1 = serverPid === null ? null : cpuMs(serverPid);
  const serverCpuMsPerCall =
    server0 === null || server1 === null ? null : Math.round(((server1 - server0) / spec.calls) * 1e4) / 1e4;
  await Promise.allSettled(clients.map((c) => c.close()));
  if (errors > 0 && firstError === null) firstError = stderrTail.join('').slice(-1000);
  const loadgenCpuMsPerCall = Math.round(((cpu.user + cpu.system) / 1000 / spec.calls) * 1e4) / 1e4;
  return { ...summarize(latencies, wall), loadgenCpuMsPerCall, serverCpuMsPerCall, errors, firstError };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const result = await run(spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
