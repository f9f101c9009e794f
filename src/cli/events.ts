import type { AuditRecord, EventRow } from '../vault/types.js';
import type { App } from '../app/app.js';
import { type Command, withApp } from './command.js';

/**
 * `toolvault events`: the event log (state changes, refreshes, alerts, operator actions), or with `--audit`
 * the tool-call audit trail; `--follow` keeps printing new entries as any toolvault process sharing the vault
 * writes them (it polls the store, so it is also the durable feed that webhooks are not). Lines on stdout,
 * `--json` for one JSON object per line.
 */

export interface EventsOptions {
  follow?: boolean;
  json?: boolean;
  audit?: boolean;
  type?: string;
  user?: string;
  limit?: number;
  pollMs?: number;
}

type Entry = EventRow | AuditRecord;

export async function printEvents(
  app: App,
  o: EventsOptions,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const store = app.vault.store;
  const limit = o.limit ?? 50;
  const read = async (afterId?: number, newest = false): Promise<Entry[]> => {
    const page = {
      ...(o.user ? { userId: o.user } : {}),
      ...(afterId !== undefined ? { afterId } : {}),
      limit: newest ? limit : 1000,
      newestFirst: newest,
    };
    if (!o.audit) return store.listEvents({ ...page, ...(o.type ? { type: o.type } : {}) });
    // Calls this process served write their audit rows just after answering.
    await app.flushAudit();
    return store.listAudit(page);
  };
  const show = (e: Entry): void => write(o.json ? JSON.stringify(jsonOf(e)) : lineOf(e));
  const last = (await read(undefined, true)).reverse();
  last.forEach(show);
  let cursor = last.at(-1)?.id ?? 0;
  while (o.follow && !signal?.aborted) {
    await sleep(o.pollMs ?? 1000, signal);
    if (signal?.aborted) break;
    for (const e of await read(cursor)) {
      show(e);
      cursor = e.id;
    }
  }
}

function isAudit(e: Entry): e is AuditRecord {
  return 'tool' in e;
}

function jsonOf(e: Entry): Record<string, unknown> {
  return { ...e, at: new Date(e.at).toISOString() };
}

function lineOf(e: Entry): string {
  const at = new Date(e.at).toISOString();
  if (isAudit(e)) {
    return `${at} #${e.id} ${e.tool} ${e.userId}${e.provider ? `/${e.provider}` : ''} ${e.status}${e.kind ? ` ${e.kind}` : ''} ${e.durationMs} ms ${e.correlationId}`;
  }
  const who = [e.userId, e.provider].filter(Boolean).join('/') || '-';
  const change = e.toState ? ` ${e.fromState ?? '?'} -> ${e.toState}` : '';
  const reason = e.reason ? ` (${e.reason})` : '';
  const detail = Object.entries(e.detail)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `${at} #${e.id} ${e.type} ${who}${change}${reason}${detail ? ` ${detail}` : ''}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export const events: Command = {
  name: 'events',
  usage: 'toolvault events [--follow] [--json] [--audit] [--type T] [--user U] [--limit N]',
  options: {
    follow: { type: 'boolean', short: 'f' },
    json: { type: 'boolean' },
    audit: { type: 'boolean' },
    type: { type: 'string' },
    user: { type: 'string' },
    limit: { type: 'string' },
  },
  run: (o) =>
    withApp({}, async (app) => {
      const limit = typeof o['limit'] === 'string' ? Number(o['limit']) : undefined;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
        throw new Error(`--limit: not a positive whole number: ${String(o['limit'])}`);
      const stop = new AbortController();
      const abort = (): void => stop.abort();
      process.once('SIGINT', abort);
      process.once('SIGTERM', abort);
      try {
        await printEvents(
          app,
          {
            follow: o['follow'] === true,
            json: o['json'] === true,
            audit: o['audit'] === true,
            ...(typeof o['type'] === 'string' ? { type: o['type'] } : {}),
            ...(typeof o['user'] === 'string' ? { user: o['user'] } : {}),
            ...(limit !== undefined ? { limit } : {}),
          },
          (line) => process.stdout.write(`${line}\n`),
          stop.signal,
        );
      } finally {
        process.off('SIGINT', abort);
        process.off('SIGTERM', abort);
      }
      return 0;
    }),
};
