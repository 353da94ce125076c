/**
 * `r-lambda-layer serve`: keeps an R handler warm behind the Invoke API of AWS's runtime interface
 * emulator, POST /2015-03-31/functions/function/invocations on 127.0.0.1, and behind a Function URL (InvokeMode
 * RESPONSE_STREAM) at every other path, until interrupted (SIGINT/SIGTERM: the runtime is killed and serve exits
 * 130/143). With --max-concurrency N it serves N invocations at once; more wait their turn.
 */
import { Command } from 'commander';
import { LambdaEmulator } from '../runtime/lambda-emulator.js';
import { textOption } from '../options/parse.js';
import { parsePort } from '../runtime/options.js';
import { startInvokeServer } from '../runtime/invoke-server.js';
import { stopRuntimeWithProcess } from '../runtime/shutdown.js';
import { functionCommand } from './invoke.js';

export function serveCommand(): Command {
  const description =
    "Serve an R handler on 127.0.0.1 like AWS's runtime interface emulator, keeping R warm between calls.";
  return functionCommand('serve', description, async (raw, config) => {
    const port = parsePort(textOption(raw, 'port'));
    const emulator = await LambdaEmulator.start(config, { log: process.stderr });
    stopRuntimeWithProcess({ killRuntime: () => emulator.killRuntime(), log: process.stderr });
    const server = await startInvokeServer(port, (payload, clientContext, sink) =>
      emulator.invoke(payload, clientContext === undefined ? {} : { clientContext }, sink),
    );
    process.stderr.write(
      `serve: ${config.handler} from ${config.taskRoot}\nserve: listening on ${server.url}\n` +
        `serve: and as a Function URL (RESPONSE_STREAM) on ${server.functionUrl}\n`,
    );
    // Until interrupted: SIGINT or SIGTERM kills the runtime's process group, even mid-invocation,
    // and exits with 130 or 143.
    await new Promise<never>(() => undefined);
  });
}
