import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from './app.js';

/**
 * MCP over stdio for a local agent client. The web listener still runs so the user can open connect
 * links; if its port is taken the tools keep working (DESIGN.md) and the problem is logged.
 */
export async function serveStdio(app: App): Promise<void> {
  // The agent's first tools/list does not need the web listener: answer it while the listener (and the demo
  // provider behind it) comes up; tool calls wait for it.
  const listening = app.listen({ tolerateInUse: true });
  const server = app.newMcpServer();
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  app.log.info({ user: app.config.user }, 'serving MCP over stdio');
  await listening;
  app.scheduler.start();
  app.health.start();
  app.idleWatch.start();
  await closed;
  await server.close().catch(() => undefined);
}
