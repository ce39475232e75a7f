/** The workflows this project's worker registers. */
export { tradeBillReconciliationWorkflow } from './trade-bill/workflow';
export { combinePapayOrderWorkflow } from './order/workflow';
