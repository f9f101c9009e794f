import { apikeys } from './apikeys.js';
import type { Command } from './command.js';
import { connect } from './connect.js';
import { doctorCommand } from './doctor.js';
import { events } from './events.js';
import { keys } from './keys.js';
import { serve } from './serve.js';
import { status } from './status.js';

/** The only list of CLI commands: adding one is a file and a line here. */
export const COMMANDS: readonly Command[] = [serve, connect, status, doctorCommand, apikeys, events, keys];
