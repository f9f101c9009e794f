/**
 * A provider's answer cut down for a model: JSON comes back as data with long strings shortened, long arrays
 * cut and deep nesting elided, under a total budget; text is previewed; anything else is only described.
 * `truncated` says whether anything was left out, so an agent knows to narrow its request (fields, limit,
 * pagination) instead of trusting a partial list.
 */

export interface TrimLimits {
  /** Characters of the whole result, as JSON. */
  maxChars: number;
  /** Characters of one string. */
  maxString: number;
  /** Items of one array. */
  maxItems: number;
  /** Keys of one object. */
  maxKeys: number;
  maxDepth: number;
}

export const DEFAULT_LIMITS: TrimLimits = {
  maxChars: 24_000,
  maxString: 2_000,
  maxItems: 50,
  maxKeys: 100,
  maxDepth: 8,
};

export interface Trimmed {
  /** JSON data, or a text preview. */
  data?: unknown;
  /** What the body was, when it is not returned as data. */
  summary?: string;
  truncated: boolean;
}

function cut(value: unknown, l: TrimLimits, depth: number, flag: { cut: boolean }): unknown {
  if (typeof value === 'string') {
    if (value.length <= l.maxString) return value;
    flag.cut = true;
    return `${value.slice(0, l.maxString)}…`;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= l.maxDepth) {
    flag.cut = true;
    return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  }
  if (Array.isArray(value)) {
    if (value.length > l.maxItems) flag.cut = true;
    return value.slice(0, l.maxItems).map((v) => cut(v, l, depth + 1, flag));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > l.maxKeys) flag.cut = true;
  return Object.fromEntries(entries.slice(0, l.maxKeys).map(([k, v]) => [k, cut(v, l, depth + 1, flag)]));
}

/** JSON data within the limits: tighter and tighter cuts until it fits the character budget. */
export function trimJson(value: unknown, limits: TrimLimits = DEFAULT_LIMITS): Trimmed {
  let l = limits;
  for (let round = 0; round < 6; round++) {
    const flag = { cut: false };
    const data = cut(value, l, 0, flag);
    if (JSON.stringify(data).length <= limits.maxChars) return { data, truncated: flag.cut };
    l = {
      ...l,
      maxString: Math.max(80, Math.floor(l.maxString / 2)),
      maxItems: Math.max(3, Math.floor(l.maxItems / 2)),
      maxKeys: Math.max(10, Math.floor(l.maxKeys / 2)),
      maxDepth: Math.max(3, l.maxDepth - 1),
    };
  }
  return { summary: 'a JSON document too large to return; narrow the request', truncated: true };
}

const TEXTUAL = /^(text\/|application\/(xml|xhtml\+xml|x-www-form-urlencoded|csv))/i;

/** Any answer: JSON as data, text previewed (HTML without its tags), other types described. */
export function trimBody(body: unknown, contentType: string, limits: TrimLimits = DEFAULT_LIMITS): Trimmed {
  if (body === null || body === undefined || body === '') return { truncated: false };
  if (typeof body === 'object') return trimJson(body, limits);
  const text = String(body);
  const type = contentType.split(';')[0]?.trim() || 'unknown';
  if (!TEXTUAL.test(type)) {
    return { summary: `${type} content of ${Buffer.byteLength(text)} bytes, not shown`, truncated: true };
  }
  const plain = /html/i.test(type)
    ? text
        .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
    : text;
  const preview = plain.length > limits.maxString ? `${plain.slice(0, limits.maxString)}…` : plain;
  return {
    data: preview,
    summary: `${type} content of ${text.length} characters${preview.length < plain.length ? ', preview shown' : ''}`,
    truncated: preview.length < plain.length,
  };
}
