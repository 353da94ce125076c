/**
 * Where progress goes. The action writes through @actions/core (groups, annotations);
 * the CLI writes plain lines to stderr so stdout stays free for results.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** One group per phase of the build. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export interface ConsoleLoggerOptions {
  verbose?: boolean;
  /** Defaults to process.stderr. */
  stream?: NodeJS.WritableStream;
}

export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const out = options.stream ?? process.stderr;
  const write = (line: string): void => {
    out.write(line + '\n');
  };
  return {
    info: write,
    warn: (m) => write(`warning: ${m}`),
    debug: (m) => {
      if (options.verbose) write(`debug: ${m}`);
    },
    group: async (title, fn) => {
      write(`== ${title}`);
      return fn();
    },
  };
}

/** A logger that keeps lines in memory: for tests and for capturing a phase's output. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
    group: async (title, fn) => {
      lines.push(`== ${title}`);
      return fn();
    },
  };
}
