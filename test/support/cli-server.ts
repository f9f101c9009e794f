import { type ChildProcess, spawn } from 'node:child_process';
import { assertBuilt, CLI } from './cli.js';

/** The built CLI as an operator runs it: one-shot commands, and `serve --http` as a long-running process. */

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  assertBuilt();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface HttpServerProcess {
  proc: ChildProcess;
  url: string;
  mcpUrl: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Spawns `toolvault serve --http --port <port>` and resolves once it says it is running. */
export async function spawnHttpServer(port: number, env: Record<string, string>): Promise<HttpServerProcess> {
  assertBuilt();
  const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let err = '';
  proc.stdout?.resume();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 15_000);
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Press Ctrl+C')) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    proc,
    url,
    mcpUrl: `${url}/mcp`,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
