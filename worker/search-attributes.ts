/**
 * Makes sure the project's custom search attributes exist on the namespace: registers missing ones where the
 * connection may, otherwise explains which `temporal operator search-attribute create` commands an administrator runs.
 */
import type { NativeConnection } from '@temporalio/worker';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../workflows/contract';

/** Index value types as the operator service numbers them. */
export const INDEXED_VALUE_TYPE = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 } as const;

/** The attributes are missing and could not be registered; the message lists the commands to run. */
export class SearchAttributesMissingError extends Error {
  constructor(
    readonly missing: string[],
    readonly commands: string[],
    cause: string,
  ) {
    super(
      `The namespace lacks the search attributes ${missing.join(', ')} and this worker may not register them (${cause}).\n` +
        `Ask an administrator to run:\n${commands.map((c) => `  ${c}`).join('\n')}`,
    );
    this.name = 'SearchAttributesMissingError';
  }
}

/** The CLI commands that create the given attributes. */
function searchAttributeCommands(namespace: string, names: string[]): string[] {
  return CUSTOM_SEARCH_ATTRIBUTES.filter((sa) => names.includes(sa.name)).map(
    (sa) => `temporal operator search-attribute create --namespace ${namespace} --name ${sa.name} --type ${sa.cliType}`,
  );
}

/** Ensures every custom search attribute exists; returns the names it registered. */
export async function ensureSearchAttributes(connection: NativeConnection, namespace: string): Promise<string[]> {
  let existing: Set<string>;
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    existing = new Set([...Object.keys(res.customAttributes ?? {}), ...Object.keys(res.systemAttributes ?? {})]);
  } catch (err) {
    // Temporal Cloud does not serve the operator API to workers: check through a visibility query instead.
    return ensureByQuery(connection, namespace, err);
  }
  const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((sa) => !existing.has(sa.name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((sa) => [sa.name, INDEXED_VALUE_TYPE[sa.cliType]])),
    });
  } catch (err) {
    const names = missing.map((sa) => sa.name);
    throw new SearchAttributesMissingError(names, searchAttributeCommands(namespace, names), reasonOf(err));
  }
  return missing.map((sa) => sa.name);
}

async function ensureByQuery(connection: NativeConnection, namespace: string, listError: unknown): Promise<string[]> {
  const missing: string[] = [];
  for (const sa of CUSTOM_SEARCH_ATTRIBUTES) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: `${sa.name} IS NOT NULL` });
    } catch {
      missing.push(sa.name);
    }
  }
  if (missing.length > 0) {
    throw new SearchAttributesMissingError(missing, searchAttributeCommands(namespace, missing), reasonOf(listError));
  }
  return [];
}

function reasonOf(err: unknown): string {
  const e = err as { details?: string; message?: string };
  return (e.details ?? e.message ?? 'permission denied').split('\n')[0]!.slice(0, 200);
}
