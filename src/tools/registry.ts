import { authDisconnect } from './auth-disconnect.js';
import { authStart } from './auth-start.js';
import { authStatus } from './auth-status.js';
import type { ToolDefinition } from './define.js';
import { demoWhoami } from './demo-whoami.js';

/** The only list of tools. */
export const TOOLS: readonly ToolDefinition[] = [authStart, authStatus, authDisconnect, demoWhoami];
