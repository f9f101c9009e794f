/**
 * One in-flight operation per key inside a process: concurrent callers for the same key share the first
 * caller's promise. Across processes the store's lease does the same job (refresh.ts).
 */
export class SingleFlight<K, V> {
  readonly #inflight = new Map<K, Promise<V>>();

  run(key: K, fn: () => Promise<V>): Promise<V> {
    const existing = this.#inflight.get(key);
    if (existing) return existing;
    const p = fn().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  get size(): number {
    return this.#inflight.size;
  }
}
