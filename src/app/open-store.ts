import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { openSqliteStore } from '../vault/sqlite/store.js';
import type { Store } from '../vault/types.js';

/**
 * Chooses the vault's storage: PostgreSQL when a `postgres://` database URL is configured (several
 * instances share it), otherwise SQLite in the data folder (the zero-setup default).
 */
export async function openStore(o: {
  home: string;
  databaseUrl: string | undefined;
  onError?: (err: Error) => void;
}): Promise<Store> {
  if (o.databaseUrl === undefined) return openSqliteStore(join(o.home, 'vault.db'));
  if (!/^postgres(ql)?:\/\//.test(o.databaseUrl)) {
    throw new ConfigError('TOOLVAULT_DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  // Loaded only when configured: pg costs ~100 ms of every start-up (bench/cold-start.ts).
  const { openPostgresStore } = await import('../vault/postgres/store.js');
  return openPostgresStore(o.databaseUrl, o.onError ? { onError: o.onError } : {});
}
