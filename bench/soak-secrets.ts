/**
 * The secret sweep: every credential the soak saw on the wire, looked for in everything toolvault let out
 * (tool results, log lines, events, audit records, metrics). Outputs are split into token-shaped words and
 * looked up in a set, so thousands of secrets cost one pass over the output; values with other characters
 * (a base64 master key) are searched for directly.
 */

const WORD = /[A-Za-z0-9_\-.~]{8,}/g;
const TOKEN_SHAPED = /^[A-Za-z0-9_\-.~]+$/;

export interface Leak {
  where: string;
  /** The first and last 4 characters only: the report must not leak what it found. */
  hint: string;
}

export function findLeaks(secrets: Iterable<string>, outputs: Record<string, string>): Leak[] {
  const words = new Set<string>();
  const other: string[] = [];
  for (const s of secrets) {
    if (s.length < 8) continue;
    if (TOKEN_SHAPED.test(s)) words.add(s);
    else other.push(s);
  }
  const leaks: Leak[] = [];
  const hint = (s: string) => `${s.slice(0, 4)}…${s.slice(-4)} (${s.length} chars)`;
  for (const [where, text] of Object.entries(outputs)) {
    for (const m of text.matchAll(WORD)) {
      const w = m[0].replace(/\.+$/, '');
      if (words.has(w) || words.has(m[0])) leaks.push({ where, hint: hint(w) });
    }
    for (const s of other) if (text.includes(s)) leaks.push({ where, hint: hint(s) });
  }
  return leaks;
}
