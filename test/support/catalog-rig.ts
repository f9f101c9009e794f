import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import type { ProviderConfig } from '../../src/app/config.js';
import { toolsFor } from '../../src/tools/registry.js';
import { completeConsent } from './browser.js';
import { FakeClock } from './clock.js';
import { type Harness, sc, startToolvault } from './toolvault.js';

/**
 * toolvault on a fake clock with the catalog fakes it is given, for the catalog tool tests: calls checked
 * against each tool's output schema (request tools included), consent walked through the fake's authorize.
 */
export interface CatalogRig {
  tv: Harness;
  clock: FakeClock;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** auth.start and the consent it links to. */
  connect(provider: string, scopes?: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startCatalogRig(
  providers: (
    clock: FakeClock,
  ) => Promise<{ config: Record<string, ProviderConfig>; close: () => Promise<unknown> }>,
): Promise<CatalogRig> {
  const clock = new FakeClock();
  const fakes = await providers(clock);
  const tv = await startToolvault({ clock, providers: fakes.config });
  await tv.client.listTools();
  const tools = toolsFor(tv.app.providers.values());
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await tv.call(name, args);
    const tool = tools.find((t) => t.name === name);
    expect(tool, name).toBeDefined();
    const parsed = tool!.output.safeParse(r.structuredContent);
    expect(parsed.success, `${name} fits its output schema: ${JSON.stringify(r.structuredContent)}`).toBe(
      true,
    );
    return r;
  };
  return {
    tv,
    clock,
    call,
    async connect(provider, scopes) {
      const r = await call('auth.start', { provider, ...(scopes ? { scopes } : {}) });
      expect(sc(r).status).toBe('pending');
      const page = await completeConsent(sc(r).authUrl);
      expect(page.html).toContain('is connected');
    },
    async close() {
      await tv.close();
      await fakes.close();
    },
  };
}
