import type { Command } from './command.js';

/**
 * The only list of CLI commands: adding one is a file and a line here. Each is loaded only when it runs, so
 * `serve --stdio` starts without the modules of commands it never uses (cold start is measured in bench/).
 */
export interface CommandEntry {
  name: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', load: async () => (await import('./serve.js')).serve },
  { name: 'connect', load: async () => (await import('./connect.js')).connect },
  { name: 'status', load: async () => (await import('./status.js')).status },
  { name: 'doctor', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'apikeys', load: async () => (await import('./apikeys.js')).apikeys },
  { name: 'events', load: async () => (await import('./events.js')).events },
  { name: 'keys', load: async () => (await import('./keys.js')).keys },
  { name: 'users', load: async () => (await import('./users.js')).users },
];

/** Every command's usage line (loads them all; only for help output). */
export async function usageLines(): Promise<string[]> {
  return Promise.all(COMMANDS.map(async (c) => (await c.load()).usage));
}
