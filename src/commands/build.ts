import { Command } from 'commander';

// Scaffold: replaced by the real command.
export function buildCommand(): Command {
  return new Command('build').action(() => {
    throw new Error('build: not built yet');
  });
}
