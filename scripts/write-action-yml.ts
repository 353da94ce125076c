/** Writes action.yml from the option declarations (src/action/action-yml.ts); run by `npm run build`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ACTION_YML, actionYml } from '../src/action/action-yml.js';

const file = path.join(path.dirname(new URL(import.meta.url).pathname), '..', ACTION_YML);
writeFileSync(file, actionYml());
process.stdout.write(`wrote ${file}\n`);
