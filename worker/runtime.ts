/**
 * The Node.js runtime the worker needs, checked at start: every WeChat Pay and downstream call combines its
 * cancellation and deadline with `AbortSignal.any` (Node 20.3+). On an older Node each call would fail as a
 * "network" fault and be retried for a day; the worker refuses to start instead. The supported lines are Node 22 and
 * 24 LTS (package.json `engines`); on Node 20 (end of life) the worker still runs, with a warning at start.
 */

/** Oldest Node.js version the worker runs on at all (`AbortSignal.any`). */
const MIN_NODE_VERSION = '20.3.0';
/** Oldest supported Node.js version: Node 22 LTS (package.json `engines` says the same). */
export const SUPPORTED_NODE_VERSION = '22.0.0';

/** Whether `version` is older than `than` (major.minor). */
function older(version: string, than: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = than.split('.').map(Number);
  return major < needMajor || (major === needMajor && minor < needMinor);
}

/** A runtime the worker cannot run on; the message names what is missing and what is needed. */
export class UnsupportedRuntimeError extends Error {
  constructor(found: string) {
    super(`Node.js ${MIN_NODE_VERSION} or newer is required (AbortSignal.any); this is Node.js ${found}`);
    this.name = 'UnsupportedRuntimeError';
  }
}

/** Throws {@link UnsupportedRuntimeError} when the runtime lacks what the worker needs. */
export function assertSupportedRuntime(
  version: string = process.versions.node,
  abortSignal: { any?: unknown } = AbortSignal,
): void {
  if (older(version, MIN_NODE_VERSION) || typeof abortSignal.any !== 'function') {
    throw new UnsupportedRuntimeError(version);
  }
}

/** The warning to log at start on a Node.js the worker runs on but that is not supported (Node 20), else undefined. */
export function unsupportedRuntimeWarning(version: string = process.versions.node): string | undefined {
  if (!older(version, SUPPORTED_NODE_VERSION)) return undefined;
  return `Node.js ${version} is end of life and not supported: run the worker on Node 22 or 24 LTS (package.json engines: >=${SUPPORTED_NODE_VERSION})`;
}

/**
 * What to print when the worker cannot start: a TLS refusal by the Temporal frontend is named as such (the SDK only
 * says "transport error", or just "connection closed", a broken pipe or a reset when the frontend drops the
 * handshake, depending on when the drop reaches it), with the variables to check; the original message follows for
 * the record.
 *
 * @param err - what the start threw
 * @param clientCertificate - whether the worker presented a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)
 */
export function describeStartFailure(err: unknown, clientCertificate = false): string {
  const text = err instanceof Error ? err.message : String(err);
  const refused =
    /UnknownCA|unknown ca|BadCertificate|bad certificate/i.test(text) ||
    (clientCertificate && /connection closed|operation was cancel|broken ?pipe|connection reset/i.test(text));
  if (refused) {
    return (
      "worker failed: the Temporal frontend refused this worker's client certificate " +
      '(TEMPORAL_TLS_CLIENT_CERT_PATH): it is not signed by a CA the cluster trusts, or the frontend closed the TLS ' +
      `handshake for another reason (check TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_NAME). Details: ${text}`
    );
  }
  if (/CertificateRequired|certificate required/i.test(text)) {
    return (
      'worker failed: the Temporal frontend requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and ' +
      `TEMPORAL_TLS_CLIENT_KEY_PATH. Details: ${text}`
    );
  }
  return `worker failed: ${text}`;
}
