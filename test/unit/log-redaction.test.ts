import { describe, expect, it } from 'vitest';
import { createLogger, SECRET_FIELDS } from '../../src/log.js';
import { logContext, withLogContext } from '../../src/log-context.js';

/** Redaction and correlation ids of the logger, checked with a canary in every credential field. */

const CANARY = 'CANARY-7f3a9c';

function capture() {
  const lines: string[] = [];
  const log = createLogger('debug', { write: (l: string) => void lines.push(l) });
  return { log, lines };
}

describe('log redaction', () => {
  it('censors every credential field at the top level and two levels down', () => {
    const { log, lines } = capture();
    const secrets = Object.fromEntries(SECRET_FIELDS.map((f) => [f, CANARY]));
    log.info({ ...secrets, outer: { ...secrets, inner: { ...secrets } } }, 'with secrets');
    log.warn(
      { headers: { authorization: `Bearer ${CANARY}`, cookie: `tv_admin=${CANARY}`, 'set-cookie': CANARY } },
      'headers',
    );
    log.error({ tokens: { accessToken: CANARY, refreshToken: CANARY, idToken: CANARY } }, 'a token set');
    log.info(
      { body: { access_token: CANARY, refresh_token: CANARY, client_secret: CANARY } },
      'a token response',
    );
    const text = lines.join('\n');
    expect(text).not.toContain(CANARY);
    expect(text.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(3 * SECRET_FIELDS.length + 9);
    // The fields are still there, so a reader sees that something was censored.
    expect(JSON.parse(lines[2]!)).toMatchObject({ tokens: { accessToken: '[redacted]' } });
  });

  it('covers the names every credential goes by: token responses, client auth, cookies, keys', () => {
    for (const f of [
      'access_token',
      'refresh_token',
      'id_token',
      'client_secret',
      'previousClientSecret',
      'code_verifier',
      'authorization',
      'cookie',
      'adminKey',
      'webhookSecret',
      'masterKey',
      'apiKey',
    ])
      expect(SECRET_FIELDS).toContain(f);
  });
});

describe('correlation ids in logs', () => {
  it('adds the ids of the work in progress to every line, through awaits, nested without losing the parent', async () => {
    const { log, lines } = capture();
    await withLogContext({ callId: 'call_a' }, async () => {
      log.info('in the call');
      await new Promise((r) => setTimeout(r, 1));
      await withLogContext({ refreshId: 'refresh_b' }, async () => {
        await Promise.resolve();
        log.info('in its refresh');
        expect(logContext()).toEqual({ callId: 'call_a', refreshId: 'refresh_b' });
      });
      log.child({ connection: 'c1' }).info('a child logger too');
    });
    log.info('outside');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ callId: 'call_a' });
    expect(parsed[0]).not.toHaveProperty('refreshId');
    expect(parsed[1]).toMatchObject({ callId: 'call_a', refreshId: 'refresh_b' });
    expect(parsed[2]).toMatchObject({ callId: 'call_a', connection: 'c1' });
    expect(parsed[3]).not.toHaveProperty('callId');
  });
});
