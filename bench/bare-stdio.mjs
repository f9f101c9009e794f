// The cold-start baseline: a bare MCP SDK stdio server with one zod-validated tool, in plain JavaScript like
// the built toolvault (dist/cli.js), so neither side pays for a TypeScript loader.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'bare', version: '1.0.0' });
server.registerTool(
  'github_createIssue',
  {
    title: 'Create a GitHub issue',
    description: 'Open a new issue in a GitHub repository.',
    inputSchema: {
      owner: z.string().min(1).describe('repository owner'),
      repo: z.string().min(1).describe('repository name'),
      title: z.string().min(1).describe('issue title'),
      body: z.string().optional().describe('issue text'),
    },
  },
  async ({ title }) => ({ content: [{ type: 'text', text: `would create "${title}"` }] }),
);
await server.connect(new StdioServerTransport());
