import type Database from 'better-sqlite3';

/** Prepared statements, compiled once per SQL text. */
export class StatementCache {
  private readonly cache = new Map<string, Database.Statement<unknown[], unknown>>();
  constructor(readonly db: Database.Database) {}

  get<Row>(sql: string): Database.Statement<unknown[], Row> {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt as Database.Statement<unknown[], Row>;
  }

  /** Runs `fn` in BEGIN IMMEDIATE: deferred transactions hit SQLITE_BUSY across processes (NOTES.md). */
  immediate<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
