import {
  assertSupportedRuntime,
  describeStartFailure,
  SUPPORTED_NODE_VERSION,
  UnsupportedRuntimeError,
  unsupportedRuntimeWarning,
} from '../../worker/runtime';
import packageJson from '../../package.json';
import clientPackageJson from '../../client/package.json';

describe('the worker refuses a Node.js runtime it cannot run on', () => {
  it.each(['18.19.0', '20.0.0', '20.2.9'])('Node %s → a clear error naming the version needed', (version) => {
    expect(() => assertSupportedRuntime(version, { any: () => undefined })).toThrow(UnsupportedRuntimeError);
    expect(() => assertSupportedRuntime(version, { any: () => undefined })).toThrow(
      /Node\.js 20\.3\.0 or newer is required \(AbortSignal\.any\)/,
    );
  });

  it('a runtime without AbortSignal.any is refused whatever its version says', () => {
    expect(() => assertSupportedRuntime('22.0.0', {})).toThrow(UnsupportedRuntimeError);
  });

  it('accepts 20.3 and newer, and this runtime', () => {
    expect(() => assertSupportedRuntime('20.3.0', { any: () => undefined })).not.toThrow();
    expect(() => assertSupportedRuntime('22.11.0', { any: () => undefined })).not.toThrow();
    expect(() => assertSupportedRuntime()).not.toThrow();
  });

  it('runs on Node 20.3+ but warns below the supported lines (22 and 24 LTS)', () => {
    expect(unsupportedRuntimeWarning('20.19.0')).toMatch(/Node\.js 20\.19\.0 is end of life .* Node 22 or 24 LTS/);
    expect(unsupportedRuntimeWarning('21.7.3')).toBeDefined();
    expect(unsupportedRuntimeWarning('22.0.0')).toBeUndefined();
    expect(unsupportedRuntimeWarning('24.11.1')).toBeUndefined();
  });

  it('package.json engines and the client package ask for the supported version', () => {
    expect(packageJson.engines.node).toBe(`>=${SUPPORTED_NODE_VERSION}`);
    expect(clientPackageJson.engines.node).toBe(`>=${SUPPORTED_NODE_VERSION}`);
  });
});

describe('a worker that cannot connect says why', () => {
  it('names a client certificate the frontend does not trust, keeping the SDK text', () => {
    const sdk = new Error('Failed to call GetSystemInfo: transport error: received fatal alert: UnknownCA');
    const text = describeStartFailure(sdk);
    expect(text).toMatch(/refused this worker's client certificate \(TEMPORAL_TLS_CLIENT_CERT_PATH\)/);
    expect(text).toMatch(/UnknownCA/);
  });

  it('names a missing client certificate', () => {
    expect(describeStartFailure(new Error('tls: received fatal alert: CertificateRequired'))).toMatch(
      /requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
  });

  it('names a handshake the frontend closed while a client certificate was presented', () => {
    const sdk = new Error(
      'Failed to call GetSystemInfo: code: \'The operation was cancelled\', message: "operation was canceled", source: hyper::Error(Canceled, "connection closed")',
    );
    expect(describeStartFailure(sdk, true)).toMatch(/refused this worker's client certificate/);
    expect(describeStartFailure(sdk, false)).toMatch(/^worker failed: Failed to call GetSystemInfo/);
  });

  it('names a handshake dropped mid-write (a broken pipe) while a client certificate was presented', () => {
    const sdk = new Error(
      'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a broken pipe" }))',
    );
    expect(describeStartFailure(sdk, true)).toMatch(/refused this worker's client certificate/);
    expect(describeStartFailure(sdk, false)).toMatch(/^worker failed: Failed to call GetSystemInfo/);
  });

  it('passes other failures through', () => {
    expect(describeStartFailure(new Error('connection refused'))).toBe('worker failed: connection refused');
  });
});
