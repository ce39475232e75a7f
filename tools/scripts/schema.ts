/**
 * `npm run schema`: writes the order input's JSON Schema files (`schema/order-input.schema.json` and the checkout
 * examples' copies) from `workflows/input-schema.ts`. `npm run schema -- --check` writes nothing and exits 1 naming
 * the stale files (CI runs it).
 */
import { SCHEMA_FILES, staleSchemaFiles, writeSchemaFiles } from '../devstack/schema-files';

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const stale = staleSchemaFiles();
    if (stale.length === 0) {
      console.log(`schema: ${SCHEMA_FILES.length} files up to date`);
      return 0;
    }
    for (const file of stale) console.error(`schema: ${file} is stale`);
    console.error('schema: run `npm run schema` to rewrite them from workflows/input-schema.ts');
    return 1;
  }
  const written = writeSchemaFiles();
  for (const file of written) console.log(`schema: wrote ${file}`);
  console.log(`schema: ${SCHEMA_FILES.length} files up to date (${written.length} rewritten)`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
