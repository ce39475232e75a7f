/**
 * The activities' own spans: one per outbound HTTP call (a WeChat Pay call, an order-service POST), children of the
 * activity's span, and the W3C `traceparent` the order service's requests carry. They use the process's global
 * OpenTelemetry API: with tracing off (worker/tracing.ts not started) the tracer is the API's no-op one and nothing is
 * injected. A span carries the call, the status and the answer's class: never a body, a key or a URL's credentials.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

/** The name the activities' spans are created under. */
const TRACER = 'combine-papay-timeout';

/** What a finished call adds to its span. */
export interface CallOutcome {
  attributes: Attributes;
  /** The call failed (the span's status becomes ERROR). */
  failed: boolean;
}

/**
 * Runs `fn` (one HTTP call) in a client span `name`, active inside `fn`; `outcome` describes its result. A throw
 * marks the span as failed without recording the error's text.
 */
export async function inCallSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
  outcome: (result: T) => CallOutcome,
): Promise<T> {
  const span = trace.getTracer(TRACER).startSpan(name, { kind: SpanKind.CLIENT, attributes });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), fn);
    const { attributes: more, failed } = outcome(result);
    span.setAttributes(more);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    return result;
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * `headers` with the active trace's W3C `traceparent` (and `tracestate`) added, when a span is active and tracing is
 * on. Outside a Standard Webhooks signature's content (`<id>.<timestamp>.<body>`), so the signature is unchanged.
 */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier;
}
