import type { FakeRequest } from './http.js';

/** Compares Slack timestamps ("seconds.sequence") without float rounding. */
export function compareTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

/**
 * Pages a list with an opaque base64 cursor naming the first item of the next page, shaped like the
 * spec's examples: base64 of `team:C061FA5PB` (conversations.list) or `next_ts:…` (history).
 */
export function page<T>(
  items: T[],
  req: FakeRequest,
  idOf: (item: T) => string,
  prefix: string,
  max: number,
): { items: T[]; next: string } | 'invalid_cursor' {
  const limit = Math.min(Math.max(Number(req.params['limit'] ?? 100) || 100, 1), max);
  let start = 0;
  const cursor = req.params['cursor'];
  if (cursor) {
    const decoded = Buffer.from(cursor, 'base64').toString('utf8');
    start = decoded.startsWith(prefix)
      ? items.findIndex((i) => idOf(i) === decoded.slice(prefix.length))
      : -1;
    if (start < 0) return 'invalid_cursor';
  }
  const slice = items.slice(start, start + limit);
  const after = items[start + limit];
  return { items: slice, next: after ? Buffer.from(prefix + idOf(after)).toString('base64') : '' };
}
