import { authDisconnect } from './auth/disconnect.js';
import { authStart } from './auth/start.js';
import { authStatus } from './auth/status.js';
import type { ToolDefinition } from './kit/define.js';
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
