import { describe, expect, it } from 'vitest';
import type { ApiClient, ApiResult } from '../../src/providers/api-client.js';
import type { ApiSignal } from '../../src/providers/types.js';
import {
  type AccessFailure,
  CallStopped,
  createProviderApi,
  type WireLog,
} from '../../src/auth/provider-api.js';

/** The API client a tool gets, over scripted answers: what it resends, what ends the call, what it records. */

const ok = (status = 200): ApiResult => ({
  status,
  headers: new Headers(),
  body: { ok: true },
  signal: null,
  error: null,
});
const signalled = (signal: ApiSignal, status = 401): ApiResult => ({ ...ok(status), signal });
const refused: ApiResult = { ...ok(404), error: { status: 404, code: 'not_found' } };
const failure: AccessFailure = { type: 'error', kind: 'rate_limited', message: 'slow down', retryable: true };

function rig(answers: ApiResult[], refreshOk = true) {
  const sent: string[] = [];
  let refreshes = 0;
  let stops = 0;
  const client: ApiClient = {
    async request(method, path) {
      sent.push(`${method} ${path}`);
      const next = answers.shift();
      if (!next) throw new Error('no scripted answer left');
      return next;
    },
  };
  const wire: WireLog = { reached: 0, last: null };
  const api = createProviderApi(
    {
      client: () => client,
      refresh: async () => {
        refreshes++;
        return refreshOk ? { ok: true, value: null } : { ok: false, failure };
      },
      stop: async () => {
        stops++;
        return failure;
      },
    },
    wire,
  );
  return { api, wire, sent, refreshes: () => refreshes, stops: () => stops };
}

describe('the API client a tool gets', () => {
  it('resends a request that provably never left once, and stops at the second', async () => {
    const never: ApiSignal = { kind: 'transient', code: 'econnrefused', neverReached: true };
    const r = rig([signalled(never, 0), ok()]);
    expect((await r.api.request('POST', 'x')).status).toBe(200);
    expect(r.sent).toEqual(['POST x', 'POST x']);
    expect(r.wire).toEqual({ reached: 1, last: { ended: 'answered', status: 200, refused: false } });

    const twice = rig([signalled(never, 0), signalled(never, 0)]);
    await expect(twice.api.request('POST', 'x')).rejects.toBeInstanceOf(CallStopped);
    expect(twice.wire.reached).toBe(0);
  });

  it('refreshes once per call: a 401 on a later request after a refresh ends the call', async () => {
    const expired: ApiSignal = { kind: 'expired_access', code: 'http_401' };
    const r = rig([signalled(expired), ok(), signalled(expired)]);
    await r.api.request('GET', 'a');
    await expect(r.api.request('GET', 'b')).rejects.toMatchObject({ failure });
    expect(r.refreshes()).toBe(1);
    expect(r.sent).toEqual(['GET a', 'GET a', 'GET b']);
    expect(r.wire.last).toEqual({ ended: 'stopped', signal: expired });
  });

  it('ends the call with the refresh failure when the refresh after a 401 fails', async () => {
    const r = rig([signalled({ kind: 'revoked', code: 'token_revoked' }, 200)], false);
    await expect(r.api.request('GET', 'a')).rejects.toMatchObject({ failure });
    expect(r.stops()).toBe(0);
  });

  it('records a refused request as answered and refused, for the judge', async () => {
    const r = rig([refused]);
    expect((await r.api.request('POST', 'x')).error).toEqual({ status: 404, code: 'not_found' });
    expect(r.wire.last).toEqual({ ended: 'answered', status: 404, refused: true });
  });

  it('answers null for an optional request that a signal stops, with no consequence and no record', async () => {
    const r = rig([ok(201), signalled({ kind: 'rate_limited', code: 'http_429' }, 429)]);
    await r.api.request('POST', 'write');
    expect(await r.api.optional('GET', 'read')).toBeNull();
    expect(r.stops()).toBe(0);
    expect(r.wire.last).toEqual({ ended: 'answered', status: 201, refused: false });
  });
});
