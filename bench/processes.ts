import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Child processes for benchmarks: TypeScript runs through the test loader (no build step), output is
 * collected, and every child is stopped by its own pid.
 */

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const TS_LOADER = ['--import', './test/support/ts-register.mjs'];

export interface Child {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stderr (or stdout), or rejects after `timeoutMs` or on exit. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

/** Spawns `node [loader] script args` in the repository with `env` on top of PATH only. */
export function spawnNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  opts: { ts?: boolean } = {},
): Child {
  const child = spawn(process.execPath, [...(opts.ts === false ? [] : TS_LOADER), script, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of watchers) w();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    // Keep the tail only: a long run must not grow this without bound.
    if (err.length > 200_000) err = err.slice(-100_000);
    for (const w of watchers) w();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(err) ?? re.exec(out);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${re} from ${script}; stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        const onExit = (): void => {
          cleanup();
          reject(new Error(`${script} exited before ${re}; stderr: ${err.slice(-2000)}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
          child.off('exit', onExit);
        };
        watchers.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    exited: () => exit,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs a child to completion and parses the last stdout line as JSON. */
export async function runJson<T>(
  script: string,
  args: string[],
  env: Record<string, string>,
  opts: { ts?: boolean } = {},
): Promise<T> {
  const c = spawnNode(script, args, env, opts);
  const code = await c.exited();
  const last = c.stdout().trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`${script} exited ${code}: ${c.stderr().slice(-3000)}`);
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `${script} printed no JSON result: ${last.slice(0, 500)}; stderr ${c.stderr().slice(-2000)}`,
    );
  }
}

/**
 * Whether `dist/` holds a build at least as new as every source file (so it runs what src/ says). Under
 * `npm run bench`, which builds first, the build counts as current: others may edit src/ during a long run.
 */
export function freshBuild(): boolean {
  const cli = join(REPO, 'dist', 'cli.js');
  if (!existsSync(cli)) return false;
  if (process.env['TOOLVAULT_BENCH_BUILT'] === '1') return true;
  const built = statSync(cli).mtimeMs;
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  return newest(join(REPO, 'src')) <= built;
}
