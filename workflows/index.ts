/** The workflows this project's worker registers. */
export { combinePapayOrderWorkflow } from './order';
