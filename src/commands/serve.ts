import { Command } from 'commander';

// Scaffold: replaced by the real command.
export function serveCommand(): Command {
  return new Command('serve').action(() => {
    throw new Error('serve: not built yet');
  });
}
