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
import { hubspotCreateNote } from './hubspot/create-note.js';
import { hubspotSearchContacts } from './hubspot/search-contacts.js';
import { jiraAddComment } from './jira/add-comment.js';
import { jiraCreateIssue } from './jira/create-issue.js';
import { jiraSearchIssues } from './jira/search-issues.js';
import { jiraTransitionIssue } from './jira/transition-issue.js';
import { linearAddComment } from './linear/add-comment.js';
import { linearCreateIssue } from './linear/create-issue.js';
import { linearSearchIssues } from './linear/search-issues.js';
import { notionCreatePage } from './notion/create-page.js';
import { notionReadPage } from './notion/read-page.js';
import { notionSearch } from './notion/search.js';
import { salesforceCreateRecord } from './salesforce/create-record.js';
import { salesforceQuery } from './salesforce/query.js';
import { salesforceUpdateRecord } from './salesforce/update-record.js';
import { zendeskAddComment } from './zendesk/add-comment.js';
import { zendeskCreateTicket } from './zendesk/create-ticket.js';
import { zendeskSearchTickets } from './zendesk/search-tickets.js';
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
  notionSearch,
  notionReadPage,
  notionCreatePage,
  linearSearchIssues,
  linearCreateIssue,
  linearAddComment,
  jiraSearchIssues,
  jiraCreateIssue,
  jiraAddComment,
  jiraTransitionIssue,
  hubspotSearchContacts,
  hubspotCreateNote,
  salesforceQuery,
  salesforceCreateRecord,
  salesforceUpdateRecord,
  zendeskSearchTickets,
  zendeskCreateTicket,
  zendeskAddComment,
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
