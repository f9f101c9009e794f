import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';

/** A fresh folder for a config test (its cwd, so no stray toolvault.config.json is read). */
export const configDir = (): string => mkdtempSync(join(tmpdir(), 'toolvault-config-'));

/** An environment pointing TOOLVAULT_CONFIG at a file holding `json` (a string is written as is). */
export function withConfigFile(json: unknown): Record<string, string> {
  const f = join(configDir(), 'toolvault.config.json');
  writeFileSync(f, typeof json === 'string' ? json : JSON.stringify(json));
  return { TOOLVAULT_CONFIG: f };
}

/** The field a ConfigError names; fails the test when `fn` throws something else or nothing. */
export function configErrorField(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.field;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
