/**
 * `npm run order -- <command>`: the client helpers from a terminal.
 *
 *   start [--restart [--force-input]] '<input JSON>' | @file.json
 *                                           start an order's workflow (idempotent; --restart: again after a
 *                                           failed/terminated run, refused when the input differs from that run's
 *                                           unless --force-input)
 *   begin <combineOutTradeNo> [attemptId]    announce a pay call (send it only if this succeeds)
 *   paid <combineOutTradeNo> [transactionId]
 *   cancel <combineOutTradeNo> [reason]
 *   status <combineOutTradeNo>
 *   list [--phase NEEDS_ATTENTION] [--limit 50]
 *   retry <combineOutTradeNo>
 *   resolve <combineOutTradeNo> <note>
 *
 * Connection from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*).
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OrderPhase } from '../workflows/contract';
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
} from '.';

const USAGE = `usage: npm run order -- start [--restart [--force-input]] '<input JSON>'|@file.json | begin <no> [attemptId] | paid <no> [transactionId]
       | cancel <no> [reason]
       | status <no> | list [--phase PHASE] [--limit N] | retry <no> | resolve <no> <note>`;

async function connect(): Promise<Client> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await Connection.connect(connectionOptions);
  return new Client({ connection, namespace: namespace ?? 'default' });
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new Error(`${what} is required\n${USAGE}`);
  return value;
}

async function run(args: string[]): Promise<void> {
  const [command, a, b] = args;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  const client = await connect();
  try {
    switch (command) {
      case 'start': {
        const flags = args.slice(1).filter((x) => x.startsWith('--'));
        const unknown = flags.find((f) => f !== '--restart' && f !== '--force-input');
        if (unknown) throw new Error(`unknown option ${unknown}\n${USAGE}`);
        const restartIfEnded = flags.includes('--restart');
        const forceInput = flags.includes('--force-input');
        if (forceInput && !restartIfEnded) throw new Error(`--force-input goes with --restart\n${USAGE}`);
        const raw = need(
          args.slice(1).find((x) => !x.startsWith('--')),
          'the input JSON',
        );
        const text = raw.startsWith('@') ? fs.readFileSync(raw.slice(1), 'utf8') : raw;
        const started = await startOrder(client, JSON.parse(text) as OrderInput, { restartIfEnded, forceInput });
        console.log(`${started.alreadyStarted ? 'already started' : 'started'}: ${started.workflowId}`);
        return;
      }
      case 'begin':
        console.log(
          JSON.stringify(await beginPayment(client, need(a, 'combineOutTradeNo'), b ? { attemptId: b } : undefined)),
        );
        return;
      case 'paid':
        console.log(
          JSON.stringify(await markPaid(client, need(a, 'combineOutTradeNo'), b ? { transactionId: b } : undefined)),
        );
        return;
      case 'cancel':
        await cancelOrder(client, need(a, 'combineOutTradeNo'), b);
        console.log('cancelOrder sent');
        return;
      case 'status':
        console.log(JSON.stringify(await orderStatus(client, need(a, 'combineOutTradeNo')), null, 2));
        return;
      case 'list': {
        const phaseAt = args.indexOf('--phase');
        const limitAt = args.indexOf('--limit');
        const phase = phaseAt >= 0 ? args[phaseAt + 1] : undefined;
        if (phase && !Object.values(OrderPhase).includes(phase as OrderPhase)) {
          throw new Error(`--phase must be one of ${Object.values(OrderPhase).join(', ')}`);
        }
        const rows = await listOrders(client, {
          ...(phase ? { phase: phase as OrderPhase } : {}),
          limit: limitAt >= 0 ? Number(args[limitAt + 1]) : 50,
        });
        for (const r of rows) {
          console.log(
            `${r.combineOutTradeNo ?? '-'}\t${r.phase ?? '-'}\t${r.status}\tdeadline ${r.deadline?.toISOString() ?? '-'}\t${r.workflowId}`,
          );
        }
        console.log(`${rows.length} order(s)`);
        return;
      }
      case 'retry':
        await retryOrder(client, need(a, 'combineOutTradeNo'));
        console.log('retry sent');
        return;
      case 'resolve':
        await resolveOrder(client, need(a, 'combineOutTradeNo'), need(b, 'note'));
        console.log('resolve sent');
        return;
      default:
        throw new Error(`unknown command ${command}\n${USAGE}`);
    }
  } finally {
    await client.connection.close();
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
