import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { completeConsent } from '../test/support/browser.js';
import { type Harness, startToolvault } from '../test/support/toolvault.js';
import { sc, type SoakContext } from './soak-context.js';
import { type ProviderId, SLACK_SCOPES } from './soak-world.js';

/**
 * toolvault as the soak's users meet it: one process on the soak's vault (closed and reopened on the same
 * vault for the restart), an MCP client per user, and the browser a user opens a connect link in. Every
 * result and log line is kept for the secret check at the end.
 */
export class SoakSession {
  #tv: Harness | undefined;
  readonly #clients = new Map<string, Client>();
  readonly logs: string[] = [];
  readonly results: CallToolResult[] = [];

  constructor(
    private readonly c: SoakContext,
    private readonly vault: { home: string; masterKey: string },
  ) {}

  get tv(): Harness {
    if (!this.#tv) throw new Error('toolvault is not running');
    return this.#tv;
  }

  get open(): boolean {
    return this.#clients.size > 0;
  }

  async start(): Promise<void> {
    const { clock, wire, world, users } = this.c;
    const tv = await startToolvault({ clock, fetch: wire.fetch, providers: world.providers, ...this.vault });
    this.#tv = tv;
    await world.oidc.setRedirectUris([`${tv.url}/oauth/callback`]);
    for (const u of users) {
      const [a, b] = InMemoryTransport.createLinkedPair();
      await tv.app.newMcpServer(() => u).connect(b);
      const client = new Client({ name: `soak-${u}`, version: '1.0.0' });
      await client.connect(a);
      this.#clients.set(u, client);
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#clients.values()].map((c) => c.close()));
    this.#clients.clear();
    this.logs.push(...this.tv.logs);
    this.tv.logs.length = 0;
    await this.tv.close({ keepHome: true });
  }

  async call(u: string, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const res = (await this.#clients.get(u)!.callTool({ name: tool, arguments: args })) as CallToolResult;
    this.results.push(res);
    this.c.r.toolCalls++;
    return res;
  }

  /** The user opens the link (setting who signs in at the fake first) and the connection is theirs again. */
  async reconnect(tick: number, u: string, p: ProviderId): Promise<void> {
    const start = sc(
      await this.call(u, 'auth_start', { provider: p, ...(p === 'slack' ? { scopes: SLACK_SCOPES } : {}) }),
    );
    if (start['status'] === 'pending') {
      this.c.world.consentAs(p, u);
      const page = await completeConsent(String(start['authUrl']), { name: u });
      if (!page.html.includes('is connected'))
        this.c.violation(tick, `${u}/${p}: consent failed (${page.status})`);
    } else if (start['status'] !== 'connected') {
      this.c.violation(tick, `${u}/${p}: auth.start answered ${JSON.stringify(start).slice(0, 200)}`);
    }
    this.c.resetTruth(u, p);
    this.c.r.reconnects++;
  }
}
