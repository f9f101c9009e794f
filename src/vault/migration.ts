/**
 * What both dialects' schemas are made of: an ordered, append-only list of migrations, numbered alike so one
 * version means one set of tables in either store (test/integration/schema-parity.test.ts holds them to it).
 */

/** One step of a schema: a shipped migration is never edited, a change is a new entry. */
export interface Migration {
  version: number;
  name: string;
  up: string;
}

/** The database was written by a newer toolvault than this one. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `database schema is at version ${databaseVersion}, newer than this toolvault knows (${knownVersion})`,
    );
  }
}

/** Throws unless versions run 1, 2, 3... with no gap. */
export function checkOrder(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (m.version !== previous + 1) throw new Error(`migration ${m.name}: version ${m.version} out of order`);
    previous = m.version;
  }
}
