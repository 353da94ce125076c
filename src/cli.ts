#!/usr/bin/env node
import { runProgram } from './commands/program.js';

void runProgram(process.argv).then((code) => {
  process.exitCode = code;
});
