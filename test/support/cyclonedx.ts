/**
 * CycloneDX 1.6's official JSON schema, as @cyclonedx/cyclonedx-library ships it (with the SPDX license list and JSF
 * schemas it refers to), compiled once with ajv. Returns ajv's errors, empty when the document is valid.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
const schemaDir = path.join(
  path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);
const load = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as Record<string, unknown>;

let validate: ((doc: unknown) => string[]) | undefined;

export function cycloneDxErrors(doc: unknown): string[] {
  if (!validate) {
    // strict: false because the schema uses its own annotation keywords (meta:enum); formats are checked.
    const ajv = new Ajv({ strict: false, allErrors: true });
    const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
    addFormats(ajv);
    // JSON Schema's IRI formats, which ajv-formats leaves out: an IRI is a URI that may hold non-ASCII characters.
    ajv.addFormat('iri-reference', /^[^\s]*$/u);
    ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
    // The BOM schema refers to its companions by their file names in the package (…SNAPSHOT.schema.json), resolved
    // against its own $id; the companions' own $ids name the published files, so they are added under the names used.
    for (const file of ['spdx', 'jsf-0.82', 'cryptography-defs'].map((n) => `${n}.SNAPSHOT.schema.json`)) {
      const { $id: _published, ...companion } = load(file);
      ajv.addSchema(companion, `http://cyclonedx.org/schema/${file}`);
    }
    const check = ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
    validate = (d) =>
      check(d)
        ? []
        : (check.errors ?? []).map(
            (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
          );
  }
  return validate(doc);
}
