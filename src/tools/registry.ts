import { authDisconnect } from './auth/disconnect.js';
import { authStart } from './auth/start.js';
import { authStatus } from './auth/status.js';
import type { ConfiguredProvider } from '../providers/types.js';
import type { ToolDefinition } from './kit/define.js';
import { type RequestToolProvider, requestTools } from './request/request-tool.js';
import { demoWhoami } from './demo/whoami.js';
import { githubAddComment } from './github/add-comment.js';
import { githubCreateIssue } from './github/create-issue.js';
import { githubGetIssue } from './github/get-issue.js';
import { githubSearchIssues } from './github/search-issues.js';
import { slackListChannels } from './slack/list-channels.js';
import { slackPostMessage } from './slack/post-message.js';
import { slackReadMessages } from './slack/read-messages.js';

/** The only list of tools. */
export const TOOLS: readonly ToolDefinition[] = [
  authStart,
  authStatus,
  authDisconnect,
  demoWhoami,
  slackPostMessage,
  slackListChannels,
  slackReadMessages,
  githubCreateIssue,
  githubGetIssue,
  githubSearchIssues,
  githubAddComment,
];

/**
 * The tools served with these providers: every hand-written tool, and each provider's request tool (plus
 * those of `more`, providers known only by id until the app has started: the demo provider).
 */
export function toolsFor(
  providers: Iterable<ConfiguredProvider>,
  more: readonly RequestToolProvider[] = [],
): ToolDefinition[] {
  const entries = [...providers].map((p) => ({
    id: p.declaration.id,
    displayName: p.declaration.displayName,
    apiBaseUrl: p.declaration.endpoints.apiBaseUrl,
    ...(p.settings.requestTool ? { requestTool: p.settings.requestTool } : {}),
  }));
  const extra = more
    .filter((m) => !entries.some((e) => e.id === m.id))
    .map((m) => ({ ...m, apiBaseUrl: '' }));
  return [...TOOLS, ...requestTools([...entries, ...extra])];
}
