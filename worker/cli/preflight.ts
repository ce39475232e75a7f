/**
 * `combine-papay-worker preflight [--query <combineOutTradeNo>]` (in this repository `npm run preflight -- …`): the
 * go-live check of worker/preflight.ts with this process's environment. One line per check, then
 * `preflight: N passed, W warnings, F failed`; exit 1 when a check failed, 64 on a bad command line.
 */
import { ORDER_NO_RE } from '../../workflows/validation';
import { formatPreflight, runPreflight } from '../preflight';

const USAGE = 'usage: combine-papay-worker preflight [--query <combineOutTradeNo>]';

/** The order to query, from the command line; exits 64 on anything else. */
function parseArgs(args: readonly string[]): { query?: string } {
  if (args.length === 0) return {};
  const [flag, value] = args;
  if (args.length === 2 && flag === '--query' && value !== undefined && ORDER_NO_RE.test(value)) {
    return { query: value };
  }
  console.error(args.length === 2 && flag === '--query' ? `--query: not a combineOutTradeNo\n${USAGE}` : USAGE);
  process.exit(64);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const checks = await runPreflight(process.env, parseArgs(args[0] === 'preflight' ? args.slice(1) : args));
  for (const line of formatPreflight(checks)) console.log(line);
  process.exitCode = checks.some((c) => c.status === 'FAIL') ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(`preflight: ${(err as Error).message}`);
  process.exit(1);
});
