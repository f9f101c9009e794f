import { afterEach, describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/tools/registry.js';
import { type Harness, sc, startToolvault } from '../support/toolvault.js';

/**
 * Claude Desktop, claude.ai, Codex and the Copilot SDK reject a whole tool list when one name has a dot,
 * so the default serves underscores; every call accepts both forms (DESIGN.md, Tools).
 */
const CLIENT_SAFE = /^[a-zA-Z0-9_-]{1,64}$/;

describe('served tool names', () => {
  let tv: Harness | undefined;
  afterEach(async () => {
    await tv?.close();
    tv = undefined;
  });

  it('lists only client-safe names by default and answers both forms', async () => {
    tv = await startToolvault();
    const { tools } = await tv.client.listTools();
    expect(tools).toHaveLength(TOOLS.length);
    for (const t of tools) expect(t.name).toMatch(CLIENT_SAFE);
    expect(tools.map((t) => t.name)).toContain('auth_status');
    expect(sc(await tv.call('auth_status')).status).toBe('ok');
    expect(sc(await tv.call('auth.status')).status).toBe('ok');
  });

  it('lists dotted names when toolNames is dotted, and still answers underscores', async () => {
    tv = await startToolvault({ toolNames: 'dotted' });
    const names = (await tv.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(TOOLS.map((t) => t.name));
    expect(names).toContain('auth.status');
    expect(sc(await tv.call('auth_status')).status).toBe('ok');
    expect(sc(await tv.call('auth.status')).status).toBe('ok');
  });

  it('names the field that is wrong in bad input, as a tool error the model can correct', async () => {
    tv = await startToolvault();
    const r = await tv.call('auth_status', { waitSeconds: 500 });
    expect(r.isError).toBe(true);
    expect(sc(r)).toMatchObject({ status: 'error', kind: 'invalid_request' });
    expect(sc(r).message).toContain('waitSeconds');
  });

  it('reports an unknown provider clearly', async () => {
    tv = await startToolvault();
    const r = await tv.call('auth_start', { provider: 'nope' });
    expect(r.isError).toBe(true);
    expect(sc(r).message).toContain('Unknown provider "nope"');
  });
});
