/**
 * The tracing settings of the worker, from the standard OpenTelemetry variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, …):
 * read with the rest of the configuration, without loading the OpenTelemetry SDK (worker/tracing.ts starts it).
 */
import type { EnvReader } from './env';

/** The default `OTEL_SERVICE_NAME`. */
const DEFAULT_SERVICE_NAME = 'combine-papay-worker';

/** Where and how the worker exports spans (from the standard `OTEL_*` variables). */
export interface TracingConfig {
  /** The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  url: string;
  /** `OTEL_SERVICE_NAME` (default {@link DEFAULT_SERVICE_NAME}). */
  serviceName: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS` / `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (e.g. an API key: never logged). */
  headers: Record<string, string>;
  /** `OTEL_BSP_SCHEDULE_DELAY` (ms, default 5000): how long spans wait to be sent in a batch; 0 sends each at once. */
  scheduleDelayMs: number;
}

/** `k1=v1,k2=v2` (values URL-encoded), the OTLP headers format; malformed entries are reported. */
function parseHeaders(r: EnvReader, name: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of (r.optional(name) ?? '').split(',')) {
    if (!entry.trim()) continue;
    const at = entry.indexOf('=');
    if (at <= 0) {
      r.problem(name, 'must be key=value pairs separated by commas');
      continue;
    }
    try {
      headers[decodeURIComponent(entry.slice(0, at).trim())] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      r.problem(name, 'must be key=value pairs separated by commas, values URL-encoded');
    }
  }
  return headers;
}

/** An http(s) URL without credentials, or a problem. */
function otlpUrl(r: EnvReader, name: string): URL | undefined {
  const raw = r.optional(name);
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    r.problem(name, 'must be an http(s) URL, e.g. http://127.0.0.1:4318');
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    r.problem(name, `must be an http(s) URL (OTLP/HTTP), got ${parsed.protocol}`);
    return undefined;
  }
  if (parsed.username || parsed.password) {
    r.problem(name, 'must not carry credentials (user:password@): use OTEL_EXPORTER_OTLP_HEADERS');
    return undefined;
  }
  return parsed;
}

/**
 * The tracing settings, or undefined (off) when no OTLP endpoint is set, `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none`. The worker exports OTLP/HTTP JSON: an `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` other
 * than `http/json` is refused rather than silently ignored.
 */
export function readTracing(r: EnvReader): TracingConfig | undefined {
  const traces = otlpUrl(r, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = otlpUrl(r, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!traces && !base) return undefined;
  if (r.optional('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  if (r.optional('OTEL_TRACES_EXPORTER')?.toLowerCase() === 'none') return undefined;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = r.optional(name);
    if (protocol && protocol !== 'http/json') {
      r.problem(
        name,
        `the worker exports OTLP/HTTP JSON only: set http/json (or unset it), got "${protocol.slice(0, 20)}"`,
      );
    }
  }
  const url = traces
    ? traces.toString()
    : new URL(`${base!.pathname.replace(/\/$/, '')}/v1/traces`, base!.origin).toString();
  return {
    url,
    serviceName: r.optional('OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAME,
    headers: {
      ...parseHeaders(r, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parseHeaders(r, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
    scheduleDelayMs: r.integer('OTEL_BSP_SCHEDULE_DELAY', 5_000, 0, 600_000),
  };
}
