import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Spawns TypeScript workers (through ts-register) as real OS processes and reads their lines. */

const repo = fileURLToPath(new URL('../..', import.meta.url));

export interface Worker {
  child: ChildProcess;
  next(): Promise<string>;
  send(line: string): void;
  exited(): Promise<number | null>;
}

export function spawnWorker(script: string, args: string[], env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', './test/support/ts-register.mjs', script, ...args], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const { value, done } = await lines.next();
      if (done === true) throw new Error(`worker ${script} exited without output`);
      return value;
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    exited() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    },
  };
}
