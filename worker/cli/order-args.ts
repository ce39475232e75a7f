/**
 * The arguments of `combine-papay-order` (worker/cli/order.ts), parsed with `node:util` `parseArgs` and checked before
 * anything connects: an unknown option, an option without its value, a bad value, a missing or extra argument is
 * refused with a {@link UsageError} naming it. No I/O here, so every refusal is unit-tested (test/unit/cli-args.test.ts).
 */
import { parseArgs } from 'node:util';
import { MCHID_RE, OrderPhase } from '../../workflows/contract';
import { isBillDate } from '../../workflows/trade-bill/days';

/** The largest `--limit` of `list`. */
export const MAX_LIST_LIMIT = 1000;
/** The `--limit` of `list` when none is given. */
export const DEFAULT_LIST_LIMIT = 50;

/** How the CLI is called, printed with every usage error and by `help`. */
export const USAGE = `usage: combine-papay-order <command> (in a clone: npm run order -- <command>)
  start [--restart [--force-input]] '<input JSON>'|@file.json
                               start an order's workflow (idempotent; --restart: again after a failed or
                               terminated run, refused when the input differs from that run's unless --force-input)
  begin <combineOutTradeNo> [attemptId]     announce a pay call (send it only if this succeeds)
  paid <combineOutTradeNo> [transactionId]  mark the order paid
  cancel <combineOutTradeNo> [reason]       stop waiting: reconcile, reverse and compensate now
  status <combineOutTradeNo>                the order's full state (JSON)
  list [--phase PHASE] [--limit N]          orders, newest first (N from 1 to ${MAX_LIST_LIMIT}, default ${DEFAULT_LIST_LIMIT})
  retry <combineOutTradeNo>                 drive the failed step of an order in NEEDS_ATTENTION again
  resolve <combineOutTradeNo> <note>        close an order in NEEDS_ATTENTION handled by hand
  reconcile --date YYYY-MM-DD [--sub-mchid ID[,ID…]] [--wait]
                               balance a Beijing day against WeChat Pay's trade bill (a run of its own; --wait:
                               print the result, exit 0 balanced, 3 with mismatches, 1 not reconciled)
  schedule ensure|pause|resume|describe [note]
                               the daily reconciliation's Schedule (combine-papay-trade-bill, 10:30 Asia/Shanghai)
Connection from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*).
An argument that starts with "-" goes after "--" (cancel P1 -- "-5 minutes").`;

/** Arguments the CLI refuses: the message names the option or argument, and the CLI exits 64 (EX_USAGE). */
export class UsageError extends Error {
  /** The exit code for a usage error (sysexits' EX_USAGE). */
  readonly exitCode = 64;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command of the CLI, parsed and checked. */
export type OrderCommand =
  | { command: 'help' }
  | { command: 'start'; input: string; restartIfEnded: boolean; forceInput: boolean }
  | { command: 'begin'; combineOutTradeNo: string; attemptId?: string }
  | { command: 'paid'; combineOutTradeNo: string; transactionId?: string }
  | { command: 'cancel'; combineOutTradeNo: string; reason?: string }
  | { command: 'status'; combineOutTradeNo: string }
  | { command: 'list'; phase?: OrderPhase; limit: number }
  | { command: 'retry'; combineOutTradeNo: string }
  | { command: 'resolve'; combineOutTradeNo: string; note: string }
  | { command: 'reconcile'; billDate: string; subMchids?: string[]; wait: boolean }
  | { command: 'schedule'; action: ScheduleAction; note?: string };

/** What `schedule` does with the daily reconciliation's Schedule. */
const SCHEDULE_ACTIONS = ['ensure', 'pause', 'resume', 'describe'] as const;
/** One of {@link SCHEDULE_ACTIONS}. */
type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

/** A command's name. */
type CommandName = Exclude<OrderCommand['command'], 'help'>;

/** What a command accepts: its options (by long name) and its arguments, required ones first. */
interface CommandSpec {
  options: Readonly<Record<string, 'boolean' | 'string'>>;
  required: readonly string[];
  optional: readonly string[];
}

const ORDER_NO = 'combineOutTradeNo';
const SPECS: Readonly<Record<CommandName, CommandSpec>> = {
  start: { options: { restart: 'boolean', 'force-input': 'boolean' }, required: ['the input JSON'], optional: [] },
  begin: { options: {}, required: [ORDER_NO], optional: ['attemptId'] },
  paid: { options: {}, required: [ORDER_NO], optional: ['transactionId'] },
  cancel: { options: {}, required: [ORDER_NO], optional: ['reason'] },
  status: { options: {}, required: [ORDER_NO], optional: [] },
  list: { options: { phase: 'string', limit: 'string' }, required: [], optional: [] },
  retry: { options: {}, required: [ORDER_NO], optional: [] },
  resolve: { options: {}, required: [ORDER_NO, 'note'], optional: [] },
  reconcile: { options: { date: 'string', 'sub-mchid': 'string', wait: 'boolean' }, required: [], optional: [] },
  schedule: { options: {}, required: [SCHEDULE_ACTIONS.join('|')], optional: ['note'] },
};

const isCommand = (name: string): name is CommandName => Object.prototype.hasOwnProperty.call(SPECS, name);

/** Options and arguments of one command, as given: `options` by long name (`true` for a boolean option). */
interface Given {
  options: Map<string, string | true>;
  args: string[];
}

const optionList = (spec: CommandSpec): string =>
  Object.keys(spec.options).length === 0
    ? 'no options'
    : `only ${Object.keys(spec.options)
        .map((o) => `--${o}`)
        .join(', ')}`;

/** The options and arguments after the command name, each option known to the command and given once, rightly. */
function readCommandLine(command: CommandName, rest: readonly string[]): Given | 'help' {
  const spec = SPECS[command];
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, type]) => [name, { type }]));
  const { tokens } = parseArgs({
    args: [...rest],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given: Given = { options: new Map(), args: [] };
  for (const token of tokens) {
    if (token.kind === 'positional') given.args.push(token.value);
    if (token.kind !== 'option') continue;
    if (token.name === 'help') return 'help';
    const type = spec.options[token.name];
    if (!type) throw new UsageError(`unknown option ${token.rawName}: ${command} takes ${optionList(spec)}`);
    if (given.options.has(token.name)) throw new UsageError(`${token.rawName} is given twice`);
    if (type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value (got "${token.value}")`);
      given.options.set(token.name, true);
    } else {
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
        throw new UsageError(`${token.rawName} needs a value`);
      }
      given.options.set(token.name, token.value);
    }
  }
  const missing = spec.required.find((_, i) => !given.args[i]);
  if (missing) throw new UsageError(`${command}: ${missing} is required`);
  const extra = given.args[spec.required.length + spec.optional.length];
  if (extra !== undefined) throw new UsageError(`${command}: unexpected argument "${extra}" (quote text with spaces)`);
  return given;
}

/** `--limit`: a whole number from 1 to {@link MAX_LIST_LIMIT}. */
function parseLimit(value: string | true | undefined): number {
  if (value === undefined) return DEFAULT_LIST_LIMIT;
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIST_LIMIT)) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIST_LIMIT} (got "${String(value)}")`);
  }
  return n;
}

/** `--phase`: one of {@link OrderPhase}. */
function parsePhase(value: string | true | undefined): OrderPhase | undefined {
  if (value === undefined) return undefined;
  const phases: readonly string[] = Object.values(OrderPhase);
  if (typeof value !== 'string' || !phases.includes(value)) {
    throw new UsageError(`--phase must be one of ${phases.join(', ')} (got "${String(value)}")`);
  }
  return value as OrderPhase;
}

/** `reconcile`'s flags: `--date` a real `YYYY-MM-DD`, `--sub-mchid` merchant ids separated by commas. */
function toReconcile({ options }: Given): OrderCommand {
  const date = options.get('date');
  if (typeof date !== 'string' || !isBillDate(date)) {
    throw new UsageError(
      `reconcile: --date must be a date YYYY-MM-DD (got ${date === undefined ? 'nothing' : `"${String(date)}"`})`,
    );
  }
  const subs = options.get('sub-mchid');
  const subMchids = typeof subs === 'string' ? subs.split(',').map((s) => s.trim()) : undefined;
  const bad = subMchids?.find((s) => !MCHID_RE.test(s));
  if (bad !== undefined) throw new UsageError(`reconcile: --sub-mchid takes merchant ids (1-32 digits), got "${bad}"`);
  return { command: 'reconcile', billDate: date, ...(subMchids ? { subMchids } : {}), wait: options.has('wait') };
}

/** `schedule`'s action, one of {@link SCHEDULE_ACTIONS}. */
function toSchedule({ args }: Given): OrderCommand {
  const [action = '', note] = args;
  const known: readonly string[] = SCHEDULE_ACTIONS;
  if (!known.includes(action))
    throw new UsageError(`schedule: the action is one of ${SCHEDULE_ACTIONS.join(', ')} (got "${action}")`);
  return { command: 'schedule', action: action as ScheduleAction, ...(note ? { note } : {}) };
}

/** The command of one set of checked arguments. */
function toCommand(command: CommandName, { options, args }: Given): OrderCommand {
  const [no = '', second] = args;
  switch (command) {
    case 'start': {
      const restartIfEnded = options.has('restart');
      const forceInput = options.has('force-input');
      if (forceInput && !restartIfEnded) throw new UsageError('--force-input goes with --restart');
      return { command, input: no, restartIfEnded, forceInput };
    }
    case 'begin':
      return { command, combineOutTradeNo: no, ...(second ? { attemptId: second } : {}) };
    case 'paid':
      return { command, combineOutTradeNo: no, ...(second ? { transactionId: second } : {}) };
    case 'cancel':
      return { command, combineOutTradeNo: no, ...(second ? { reason: second } : {}) };
    case 'list': {
      const phase = parsePhase(options.get('phase'));
      return { command, ...(phase ? { phase } : {}), limit: parseLimit(options.get('limit')) };
    }
    case 'resolve':
      return { command, combineOutTradeNo: no, note: second ?? '' };
    case 'status':
    case 'retry':
      return { command, combineOutTradeNo: no };
    case 'reconcile':
      return toReconcile({ options, args });
    case 'schedule':
      return toSchedule({ options, args });
  }
}

/**
 * Parses the CLI's arguments (`process.argv.slice(2)`): a command and what it takes. `help`, `--help`, `-h` or
 * nothing at all asks for the usage.
 *
 * @throws {UsageError} naming the unknown command, the unknown option, the option without its value or with a bad
 *   one, the missing argument or the extra one.
 */
export function parseOrderArgs(argv: readonly string[]): OrderCommand {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { command: 'help' };
  if (!isCommand(name)) {
    const what = name.startsWith('-') ? 'option' : 'command';
    throw new UsageError(`unknown ${what} ${name}: the first argument is one of ${Object.keys(SPECS).join(', ')}`);
  }
  const given = readCommandLine(name, rest);
  return given === 'help' ? { command: 'help' } : toCommand(name, given);
}
