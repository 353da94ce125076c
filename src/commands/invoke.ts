import { Command } from 'commander';

// Scaffold: replaced by the real command.
export function invokeCommand(): Command {
  return new Command('invoke').action(() => {
    throw new Error('invoke: not built yet');
  });
}
