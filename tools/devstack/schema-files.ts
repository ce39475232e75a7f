/**
 * The generated JSON Schema files: `schema/order-input.schema.json` (shipped in the package) and the copies the Java
 * and Go checkout examples validate with (they are copied out of this repository), all the text of
 * `ORDER_INPUT_SCHEMA` (`workflows/input-schema.ts`). `npm run schema` writes them; `npm run schema -- --check`
 * (run by CI) and test/unit/input-schema.test.ts refuse a stale one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ORDER_INPUT_SCHEMA } from '../../workflows/input-schema';
import { projectRoot } from './data-dir';

/** The generated files, relative to the project root. */
export const SCHEMA_FILES = [
  'schema/order-input.schema.json',
  'examples/checkout-go/order-input.schema.json',
  'examples/checkout-java/src/main/resources/order-input.schema.json',
] as const;

/** The text every schema file must hold. */
export function schemaText(): string {
  return `${JSON.stringify(ORDER_INPUT_SCHEMA, null, 2)}\n`;
}

/** The generated files (relative paths) whose text is not `schemaText()`, a missing one included. */
export function staleSchemaFiles(root = projectRoot()): string[] {
  const text = schemaText();
  return SCHEMA_FILES.filter((file) => {
    try {
      return fs.readFileSync(path.join(root, file), 'utf8') !== text;
    } catch {
      return true;
    }
  });
}

/** Rewrites the stale files; returns them. */
export function writeSchemaFiles(root = projectRoot()): string[] {
  const stale = staleSchemaFiles(root);
  for (const file of stale) fs.writeFileSync(path.join(root, file), schemaText());
  return stale;
}
