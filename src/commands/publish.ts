import { Command } from 'commander';

// Scaffold: replaced by the real command.
export function publishCommand(): Command {
  return new Command('publish').action(() => {
    throw new Error('publish: not built yet');
  });
}
