/** The pipeline's Logger over @actions/core: lines, annotations (warnings) and one collapsible group per phase. */
import * as core from '@actions/core';
import type { Logger } from '../log.js';

export function coreLogger(): Logger {
  return {
    info: (message) => core.info(message),
    warn: (message) => core.warning(message),
    debug: (message) => core.debug(message),
    group: (title, fn) => core.group(title, fn),
  };
}
