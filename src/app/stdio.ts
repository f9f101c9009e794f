import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from './config.js';
import { buildProviders } from '../providers/registry.js';
import { toolsFor } from '../tools/registry.js';
import { VERSION } from '../version.js';
import type { App } from './app.js';
import { createMcpServer } from '../server/mcp.js';

/**
 * MCP over stdio for a local agent client. The agent's initialize and first tools/list need only the tool
 * list, so they are answered while the vault, the web listener for connect links and the demo provider come
 * up (a cold start is measured against a bare SDK server in bench/); tool calls wait for them. If the web
 * port is taken the tools keep working (DESIGN.md) and the problem is logged.
 */
export async function serveStdio(config: Config): Promise<void> {
  const starting = (async (): Promise<App> => {
    const { createApp } = await import('./app.js');
    const app = await createApp(config);
    try {
      await app.listen({ tolerateInUse: true });
    } catch (err) {
      await app.close();
      throw err;
    }
    return app;
  })();
  // Nothing awaits `starting` until the transport is up; keep a failure from surfacing as unhandled meanwhile.
  starting.catch(() => undefined);
  const server = createMcpServer({
    tools: listedTools(config),
    toolNames: config.toolNames,
    version: VERSION,
    userOf: () => config.user,
    runtime: async () => (await starting).runtime(),
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  let app: App;
  try {
    app = await starting;
  } catch (err) {
    // A bad key or vault: stop serving, so the client sees the process end and the error on stderr.
    await server.close().catch(() => undefined);
    throw err;
  }
  app.log.info({ user: config.user }, 'serving MCP over stdio');
  app.scheduler.start();
  app.health.start();
  app.idleWatch.start();
  try {
    await closed;
  } finally {
    await server.close().catch(() => undefined);
    await app.close();
  }
}

/**
 * The tool list, known before the app starts: the configured providers' request tools come from
 * configuration alone (the demo provider's too); a configuration error shows up when the app starts.
 */
function listedTools(config: Config) {
  const demo = config.demo ? [{ id: 'demo', displayName: 'Demo' }] : [];
  try {
    return toolsFor(buildProviders(config).values(), demo);
  } catch {
    // reported by createApp, which fails the same way
    return toolsFor([], demo);
  }
}
