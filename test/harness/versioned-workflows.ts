/**
 * "Version B" of the workflow code for the Worker Versioning suite (`e2e/versioning.test.ts`): the product's
 * `combinePapayOrderWorkflow` with a changed command sequence. Every new run first adds `workflowCode: "B"` to its
 * memo (a WorkflowPropertiesModified event), then runs lifecycle 1.0 unchanged. Replaying a history of version A on
 * this code is non-deterministic (A's first command is its deadline timer): only pinning keeps A's orders off B.
 */
import { upsertMemo } from '@temporalio/workflow';
import { combinePapayOrderWorkflow as lifecycle } from '../../workflows';
import type { OrderResult } from '../../workflows/contract';

/** Version B of the order workflow (same type name): a memo change first, then lifecycle 1.0. */
export async function combinePapayOrderWorkflow(input: unknown): Promise<OrderResult> {
  upsertMemo({ workflowCode: 'B' });
  return lifecycle(input);
}
