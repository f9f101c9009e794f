#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { COMMANDS, usageLines } from './index.js';

/** Entry point: `toolvault <command> [options]`. Usage errors exit 2, runtime failures 1. */

const usage = async (): Promise<string> =>
  `usage:\n${(await usageLines()).map((u) => `  ${u}`).join('\n')}\n`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stderr.write(await usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`toolvault: unknown command "${name}"\n${await usage()}`);
    return 2;
  }
  const command = await entry.load();
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: command.options,
    }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    });
  } catch (err) {
    process.stderr.write(`toolvault ${name}: ${(err as Error).message}\nusage: ${command.usage}\n`);
    return 2;
  }
  try {
    return await command.run(values, positionals);
  } catch (err) {
    const prefix = err instanceof ConfigError ? 'configuration error: ' : '';
    process.stderr.write(`toolvault ${name}: ${prefix}${(err as Error).message}\n`);
    return 1;
  }
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
