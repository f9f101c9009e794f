import type { ParseArgsConfig } from 'node:util';
import { type Config, loadConfig } from '../app/config.js';
import type { App } from '../app/app.js';

/**
 * A CLI command is data plus one function, like a tool: its name, usage line, parseArgs options, and `run`.
 * Human output goes to stderr; stdout carries only what scripts capture (links, keys, JSON).
 */
export interface Command {
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The environment's configuration with the common --host/--port/--user options applied. */
export function configFor(o: { host?: unknown; port?: unknown; user?: unknown }): Config {
  let port: number | undefined;
  if (typeof o.port === 'string') {
    port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port: not a port number: ${o.port}`);
  }
  const config = loadConfig(process.env, {
    ...(typeof o.host === 'string' ? { host: o.host } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  if (typeof o.user === 'string') config.user = o.user;
  return config;
}

/** Opens toolvault with the environment's configuration and the common --host/--port/--user options. */
export async function openApp(o: { host?: unknown; port?: unknown; user?: unknown }): Promise<App> {
  const config = configFor(o);
  // Loaded here, not at the top: the whole app is a third of a cold start (see serveStdio).
  const { createApp } = await import('../app/app.js');
  return createApp(config);
}

/** Runs `fn` with an opened app and always closes it. */
export async function withApp(
  o: Parameters<typeof openApp>[0],
  fn: (app: App) => Promise<number>,
): Promise<number> {
  const app = await openApp(o);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
