/** The worker's tracing settings from the standard OTEL_* variables (worker/tracing-config.ts). */
import { EnvReader } from '../../worker/env';
import { readTracing } from '../../worker/tracing-config';

function read(env: Record<string, string>): { tracing: ReturnType<typeof readTracing>; problems: string[] } {
  const r = new EnvReader(env);
  const tracing = readTracing(r);
  return { tracing, problems: r.problems.map((p) => p.message) };
}

describe('tracing settings (OTEL_*)', () => {
  it('is off without an OTLP endpoint, with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    expect(read({}).tracing).toBeUndefined();
    expect(read({ OTEL_SERVICE_NAME: 'x', OTEL_BSP_SCHEDULE_DELAY: '10' }).tracing).toBeUndefined();
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(
      read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing,
    ).toBeUndefined();
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as it is; service name and delay defaults', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      tracing: {
        url: 'http://collector:4318/v1/traces',
        serviceName: 'combine-papay-worker',
        headers: {},
        scheduleDelayMs: 5_000,
      },
      problems: [],
    });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://o.example/otlp/' }).tracing?.url).toBe(
      'https://o.example/otlp/v1/traces',
    );
    const both = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom',
      OTEL_SERVICE_NAME: 'papay-eu',
      OTEL_BSP_SCHEDULE_DELAY: '0',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x=1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x=2',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(both).toEqual({
      tracing: {
        url: 'http://traces:9999/custom',
        serviceName: 'papay-eu',
        headers: { 'api-key': 'a b', x: '2' },
        scheduleDelayMs: 0,
      },
      problems: [],
    });
  });

  it('refuses another protocol than http/json, a non-http URL, credentials in the URL and malformed headers', () => {
    const refused = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:pw@collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317',
    });
    expect(refused.tracing).toBeUndefined();
    expect(refused.problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(refused.problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/);
    expect(refused.problems.join('\n')).not.toContain('pw');
    const protocol = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(protocol.problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL.*http\/json/);
    const headers = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' });
    expect(headers.problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_HEADERS/);
  });
});
