/** toolvault's version, as served in the MCP initialize answer and /healthz. */
export const VERSION = '0.1.0';
