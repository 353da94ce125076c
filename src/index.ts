/** The GitHub Action's entry (action.yml → dist/index.js): everything lives in src/action/main.ts. */
import { run } from './action/main.js';

await run();
