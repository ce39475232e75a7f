/**
 * The order CLI's arguments (`combine-papay-order`, worker/cli/order-args.ts): every command parsed as documented, and every
 * bad flag or argument refused before anything connects, with a message naming it (issue 32: `--limit abc` used to
 * list every order).
 */
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, parseOrderArgs, UsageError, USAGE } from '../../worker/cli/order-args';

/** The message `argv` is refused with (fails when it is accepted). */
function refusal(argv: string[]): string {
  try {
    parseOrderArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(64);
    return (err as UsageError).message;
  }
  throw new Error(`accepted: ${JSON.stringify(argv)}`);
}

describe('combine-papay-order arguments', () => {
  it('parses every command as the usage shows it', () => {
    expect(parseOrderArgs(['start', '{"a":1}'])).toEqual({
      command: 'start',
      input: '{"a":1}',
      restartIfEnded: false,
      forceInput: false,
    });
    expect(parseOrderArgs(['start', '--restart', '--force-input', '@order.json'])).toEqual({
      command: 'start',
      input: '@order.json',
      restartIfEnded: true,
      forceInput: true,
    });
    expect(parseOrderArgs(['begin', 'P1', 'pay-1'])).toEqual({
      command: 'begin',
      combineOutTradeNo: 'P1',
      attemptId: 'pay-1',
    });
    expect(parseOrderArgs(['paid', 'P1'])).toEqual({ command: 'paid', combineOutTradeNo: 'P1' });
    expect(parseOrderArgs(['cancel', 'P1', 'customer left'])).toEqual({
      command: 'cancel',
      combineOutTradeNo: 'P1',
      reason: 'customer left',
    });
    expect(parseOrderArgs(['status', 'P1'])).toEqual({ command: 'status', combineOutTradeNo: 'P1' });
    expect(parseOrderArgs(['retry', 'P1'])).toEqual({ command: 'retry', combineOutTradeNo: 'P1' });
    expect(parseOrderArgs(['resolve', 'P1', 'refunded by hand'])).toEqual({
      command: 'resolve',
      combineOutTradeNo: 'P1',
      note: 'refunded by hand',
    });
  });

  it('reconcile and schedule: the day, the merchants, --wait; the Schedule actions with a note', () => {
    expect(parseOrderArgs(['reconcile', '--date', '2026-12-04'])).toEqual({
      command: 'reconcile',
      billDate: '2026-12-04',
      wait: false,
    });
    expect(
      parseOrderArgs(['reconcile', '--date=2026-12-04', '--sub-mchid', '1900000101,1900000102', '--wait']),
    ).toEqual({
      command: 'reconcile',
      billDate: '2026-12-04',
      subMchids: ['1900000101', '1900000102'],
      wait: true,
    });
    expect(parseOrderArgs(['schedule', 'pause', 'bill API down'])).toEqual({
      command: 'schedule',
      action: 'pause',
      note: 'bill API down',
    });
    expect(parseOrderArgs(['schedule', 'ensure'])).toEqual({ command: 'schedule', action: 'ensure' });
  });

  it('list: --phase and --limit, separate or inline, with the default limit', () => {
    expect(parseOrderArgs(['list'])).toEqual({ command: 'list', limit: DEFAULT_LIST_LIMIT });
    expect(parseOrderArgs(['list', '--phase', 'NEEDS_ATTENTION', '--limit=7'])).toEqual({
      command: 'list',
      phase: 'NEEDS_ATTENTION',
      limit: 7,
    });
    expect(parseOrderArgs(['list', '--limit', String(MAX_LIST_LIMIT)])).toEqual({
      command: 'list',
      limit: MAX_LIST_LIMIT,
    });
  });

  it('help, --help, -h or nothing asks for the usage, which names the bin and the clone form', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h'], ['status', '--help']]) {
      expect(parseOrderArgs(argv)).toEqual({ command: 'help' });
    }
    expect(USAGE).toMatch(/^usage: combine-papay-order <command> \(in a clone: npm run order -- <command>\)/);
  });

  it('an argument starting with "-" is taken after "--"', () => {
    expect(parseOrderArgs(['cancel', 'P1', '--', '-5 minutes'])).toEqual({
      command: 'cancel',
      combineOutTradeNo: 'P1',
      reason: '-5 minutes',
    });
  });

  it.each([
    [['list', '--limit', 'abc'], '--limit must be a whole number from 1 to 1000 (got "abc")'],
    [['list', '--limit', '0'], '--limit must be a whole number from 1 to 1000 (got "0")'],
    [['list', '--limit=1.5'], '--limit must be a whole number from 1 to 1000 (got "1.5")'],
    [['list', '--limit', '1001'], '--limit must be a whole number from 1 to 1000 (got "1001")'],
    [['list', '--limit=-3'], '--limit must be a whole number from 1 to 1000 (got "-3")'],
    [['list', '--limit'], '--limit needs a value'],
    [['list', '--limit', '--phase', 'PAID'], '--limit needs a value'],
    [['list', '--limit', '5', '--limit', '6'], '--limit is given twice'],
    [['list', '--phase', 'paid'], /^--phase must be one of AWAITING_PAYMENT, PAID, .* \(got "paid"\)$/],
    [['list', '--phase='], /^--phase must be one of .* \(got ""\)$/],
    [['list', '--limt', '5'], 'unknown option --limt: list takes only --phase, --limit'],
    [['list', 'NEEDS_ATTENTION'], 'list: unexpected argument "NEEDS_ATTENTION" (quote text with spaces)'],
    [['status', 'P1', '--phase', 'PAID'], 'unknown option --phase: status takes no options'],
    [['status', '-x', 'P1'], 'unknown option -x: status takes no options'],
    [['status'], 'status: combineOutTradeNo is required'],
    [['status', ''], 'status: combineOutTradeNo is required'],
    [['status', 'P1', 'P2'], 'status: unexpected argument "P2" (quote text with spaces)'],
    [['resolve', 'P1'], 'resolve: note is required'],
    [['cancel', 'P1', 'customer', 'left'], 'cancel: unexpected argument "left" (quote text with spaces)'],
    [['start'], 'start: the input JSON is required'],
    [['start', '--force-input', '{}'], '--force-input goes with --restart'],
    [['start', '--restart=yes', '{}'], '--restart takes no value (got "yes")'],
    [['start', '--retsart', '{}'], 'unknown option --retsart: start takes only --restart, --force-input'],
    [
      ['--limit', 'abc'],
      /^unknown option --limit: the first argument is one of start, begin, .*resolve, reconcile, schedule$/,
    ],
    [['reconcile'], 'reconcile: --date must be a date YYYY-MM-DD (got nothing)'],
    [['reconcile', '--date', '2026-02-30'], 'reconcile: --date must be a date YYYY-MM-DD (got "2026-02-30")'],
    [
      ['reconcile', '--date=2026-12-04', '--sub-mchid', '19,x'],
      'reconcile: --sub-mchid takes merchant ids (1-32 digits), got "x"',
    ],
    [['reconcile', '--date=2026-12-04', '--wait=1'], '--wait takes no value (got "1")'],
    [['schedule'], 'schedule: ensure|pause|resume|describe is required'],
    [['schedule', 'stop'], 'schedule: the action is one of ensure, pause, resume, describe (got "stop")'],
    [['stats', 'P1'], /^unknown command stats: the first argument is one of start, begin, paid, cancel, status, list/],
  ])('%j is refused: %s', (argv, message) => {
    expect(refusal(argv)).toMatch(typeof message === 'string' ? new RegExp(`^${escapeRegExp(message)}$`) : message);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
