/** Types of `temporal-cli.js` (plain CommonJS, run by `npm install` before anything is compiled). */

/** Makes sure a Temporal CLI is available (building it with `go install` if needed) and returns its path. */
export function ensureTemporalCli(options?: { log?: (line: string) => void }): Promise<string>;
/** Returns the path of a usable Temporal CLI without building anything, or undefined. */
export function locateTemporalCli(): { path: string; source: string } | undefined;
/** The version line the CLI prints. */
export function temporalCliVersion(cli: string): string;
/** The CLI version this project builds. */
export const TEMPORAL_CLI_VERSION: string;
