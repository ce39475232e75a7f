/**
 * `combine-papay-order <command>`: the client helpers from a terminal, the worker package's bin (bin/combine-papay-order.js,
 * on the image's PATH); in a clone `npm run order -- <command>`. The commands and their flags: {@link USAGE}
 * (parsed in worker/cli/order-args.ts). Connection from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*).
 *
 * Exit codes: 0 done, 64 refused arguments (nothing connected), 3 `reconcile --wait` found mismatches, 1 any other
 * failure (its message on stderr).
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { parseOrderArgs, USAGE, UsageError, type OrderCommand } from './order-args';
import {
  beginPayment,
  cancelOrder,
  orderStatus,
  listOrders,
  markPaid,
  resolveOrder,
  retryOrder,
  startOrder,
  type OrderInput,
} from '../../client';
import {
  describeTradeBillSchedule,
  ensureTradeBillSchedule,
  pauseTradeBillSchedule,
  reconciliationResult,
  startReconciliation,
} from '../../client/trade-bill';

/** Exit code of `reconcile --wait` when the day was reconciled and the books do not balance. */
export const EXIT_MISMATCHES = 3;

async function connect(): Promise<Client> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await Connection.connect(connectionOptions);
  return new Client({ connection, namespace: namespace ?? 'default' });
}

/** The order input of `start`: the JSON argument, or the file an `@` names. */
function readInput(arg: string): OrderInput {
  let text = arg;
  if (arg.startsWith('@')) {
    try {
      text = fs.readFileSync(arg.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`start: cannot read the input file ${arg.slice(1)}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as OrderInput;
  } catch (err) {
    throw new UsageError(`start: the input JSON does not parse: ${(err as Error).message}`);
  }
}

/** `reconcile` and `schedule`: the trade-bill reconciliation. Returns the exit code. */
async function runTradeBillCommand(
  client: Client,
  cmd: Extract<OrderCommand, { command: 'reconcile' | 'schedule' }>,
  write: (line: string) => void,
): Promise<number> {
  if (cmd.command === 'schedule') {
    if (cmd.action === 'ensure') write(`schedule ${await ensureTradeBillSchedule(client)}`);
    else if (cmd.action !== 'describe')
      await pauseTradeBillSchedule(client, cmd.action === 'pause', cmd.note ?? `${cmd.action}d from the CLI`);
    write(await describeTradeBillSchedule(client));
    return 0;
  }
  const input = { billDate: cmd.billDate, ...(cmd.subMchids ? { subMchids: cmd.subMchids } : {}) };
  const handle = await startReconciliation(client, input);
  write(`started: ${handle.workflowId}`);
  if (!cmd.wait) return 0;
  const result = await reconciliationResult(handle);
  write(JSON.stringify(result, null, 2));
  write(`${result.billDate}: ${result.rows} rows, ${result.matched} matched, ${result.mismatchCount} mismatches`);
  return result.mismatchCount > 0 ? EXIT_MISMATCHES : 0;
}

/**
 * Runs one parsed command with `client`, printing its answer with `write`; `order` is the input `start` read.
 * Returns the exit code.
 */
async function runCommand(
  client: Client,
  cmd: OrderCommand,
  order: OrderInput | undefined,
  write: (line: string) => void,
): Promise<number> {
  if (cmd.command === 'reconcile' || cmd.command === 'schedule') return runTradeBillCommand(client, cmd, write);
  await runOrderCommand(client, cmd, order, write);
  return 0;
}

/** The order commands. */
async function runOrderCommand(
  client: Client,
  cmd: Exclude<OrderCommand, { command: 'reconcile' | 'schedule' }>,
  order: OrderInput | undefined,
  write: (line: string) => void,
): Promise<void> {
  switch (cmd.command) {
    case 'help':
      write(USAGE);
      return;
    case 'start': {
      const { restartIfEnded, forceInput } = cmd;
      const started = await startOrder(client, order ?? readInput(cmd.input), { restartIfEnded, forceInput });
      write(`${started.alreadyStarted ? 'already started' : 'started'}: ${started.workflowId}`);
      return;
    }
    case 'begin': {
      const options = cmd.attemptId ? { attemptId: cmd.attemptId } : undefined;
      write(JSON.stringify(await beginPayment(client, cmd.combineOutTradeNo, options)));
      return;
    }
    case 'paid': {
      const options = cmd.transactionId ? { transactionId: cmd.transactionId } : undefined;
      write(JSON.stringify(await markPaid(client, cmd.combineOutTradeNo, options)));
      return;
    }
    case 'cancel':
      await cancelOrder(client, cmd.combineOutTradeNo, cmd.reason);
      write('cancelOrder sent');
      return;
    case 'status':
      write(JSON.stringify(await orderStatus(client, cmd.combineOutTradeNo), null, 2));
      return;
    case 'list': {
      const rows = await listOrders(client, { ...(cmd.phase ? { phase: cmd.phase } : {}), limit: cmd.limit });
      for (const r of rows) {
        const deadline = r.deadline?.toISOString() ?? '-';
        write(`${r.combineOutTradeNo ?? '-'}\t${r.phase ?? '-'}\t${r.status}\tdeadline ${deadline}\t${r.workflowId}`);
      }
      write(`${rows.length} order(s)`);
      return;
    }
    case 'retry':
      await retryOrder(client, cmd.combineOutTradeNo);
      write('retry sent');
      return;
    case 'resolve':
      await resolveOrder(client, cmd.combineOutTradeNo, cmd.note);
      write('resolve sent');
      return;
  }
}

/**
 * Runs the CLI on `argv` (`process.argv.slice(2)`) and returns its exit code: 0 done, 64 arguments refused (the
 * message naming the option or argument on stderr; nothing connects), 1 any other failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const cmd = parseOrderArgs(argv);
    if (cmd.command === 'help') {
      console.log(USAGE);
      return 0;
    }
    // The input is read before connecting: a file or JSON it cannot use is a usage error, like a bad flag.
    const order = cmd.command === 'start' ? readInput(cmd.input) : undefined;
    const client = await connect();
    try {
      return await runCommand(client, cmd, order, (line) => console.log(line));
    } finally {
      await client.connection.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`combine-papay-order: ${err.message}\n(combine-papay-order help: the commands and their flags)`);
      return err.exitCode;
    }
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}
