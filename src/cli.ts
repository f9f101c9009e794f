#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { runCommand } from './server/commands.js';

/** Entry point: `toolvault <command> [options]`. Usage errors exit 2, runtime failures 1. */

const USAGE = `usage:
  toolvault serve --stdio | --http [--host H] [--port P]
  toolvault connect PROVIDER [--user U] [--scopes a,b]
  toolvault status [--user U] [--json]
`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`toolvault: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (!command || parsed.values.help) {
    process.stderr.write(USAGE);
    return command || parsed.values.help ? 0 : 2;
  }
  try {
    return await runCommand(command, rest, parsed.values);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`toolvault: configuration error: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`toolvault: ${(err as Error).message}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stdio: { type: 'boolean' },
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      scopes: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`toolvault: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
