import { startSlackFake, type SlackFake } from '../fakes/slack.js';

/** Plain-fetch access to the Slack fake for its own wire tests (test/integration/fake-slack*.test.ts). */

/** A Slack fake on `now` with the channels the wire tests use. */
export async function startSeededSlackFake(now: () => number): Promise<SlackFake> {
  const slack = await startSlackFake({ now, retryAfterSeconds: 7 });
  slack.addChannel({ id: 'C001', name: 'general' });
  slack.addChannel({ id: 'C002', name: 'random', is_member: false });
  slack.addChannel({ id: 'C003', name: 'old', is_archived: true });
  slack.addChannel({ id: 'C004', name: 'secret', is_private: true, is_member: false });
  return slack;
}

/** A Web API method call. */
export async function slackCall(
  fake: SlackFake,
  method: string,
  token: string | null,
  params: Record<string, string> = {},
) {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${fake.url}/api/${method}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params),
  });
  return { res, body: (await res.json()) as Record<string, any> };
}

export async function slackToken(fake: SlackFake, params: Record<string, string>, basic = false) {
  const headers: Record<string, string> = {};
  const body = new URLSearchParams(params);
  if (basic) {
    headers['authorization'] =
      `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`;
  } else {
    body.set('client_id', fake.clientId);
    body.set('client_secret', fake.clientSecret);
  }
  const res = await fetch(`${fake.url}/api/oauth.v2.access`, { method: 'POST', headers, body });
  return (await res.json()) as Record<string, any>;
}
