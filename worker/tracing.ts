/**
 * Traces (OpenTelemetry), on only when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set:
 * the SDK's interceptors (`@temporalio/interceptors-opentelemetry`) continue the trace a client started (its
 * `OpenTelemetryWorkflowClientInterceptor` puts it in the workflow's headers) through `RunWorkflow`,
 * `StartActivity` and `RunActivity`; the workflow's spans leave the sandbox through the `exporter` sink; the
 * activities add a span per WeChat Pay call and per order-service POST, whose request carries a W3C `traceparent`.
 * Spans go to an OTLP/HTTP receiver as JSON (`@opentelemetry/exporter-trace-otlp-http`). Off, nothing is created: no
 * provider, no processor, no exporter — the workflow bundle's interceptors still run and their sink does nothing.
 */
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { TracingConfig } from './tracing-config';

/**
 * The SDK's workflow interceptors module: every workflow bundle includes it (the build's, a bundle made at start, the
 * tests'), so tracing on or off runs the same workflow code.
 */
export const TRACING_WORKFLOW_MODULES: readonly string[] = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** Running tracing: what the workers are given, and its flush. */
export interface Tracing {
  /** The interceptors and the workflow span sink of a worker. */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends what is pending and stops (the worker calls it once both workers have stopped). */
  shutdown(): Promise<void>;
}

/** The `exporter` sink when tracing is off: the bundle's workflow interceptors end their spans into nothing. */
const NO_TRACES: InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> = {
  exporter: { export: { fn: () => undefined } },
};

/** The worker options when tracing is off: the no-op sink only (no interceptors, nothing created). */
export function untracedWorkerOptions(): Pick<WorkerOptions, 'sinks'> {
  return { sinks: NO_TRACES };
}

/**
 * Starts tracing: a tracer provider exporting to `config.url` (batched every `scheduleDelayMs`), registered as the
 * process's global provider with the async-hooks context manager and the W3C trace-context propagator (the activities'
 * spans and the `traceparent` of the order service's requests use them). Shutting down unregisters them.
 */
export function startTracing(config: TracingConfig): Tracing {
  const resource = new Resource({ 'service.name': config.serviceName });
  const exporter = new OTLPTraceExporter({ url: config.url, headers: config.headers });
  const spanProcessor: SpanProcessor =
    config.scheduleDelayMs === 0
      ? new SimpleSpanProcessor(exporter)
      : new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.scheduleDelayMs });
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const registered = {
    context: otel.context.setGlobalContextManager(contextManager),
    propagation: otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
    trace: otel.trace.setGlobalTracerProvider(provider),
  };
  const tracer = provider.getTracer('@temporalio/interceptor-activity');
  let stopped: Promise<void> | undefined;
  return {
    workerOptions: () => ({
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    }),
    shutdown: () =>
      (stopped ??= (async () => {
        await provider.shutdown().catch(() => undefined);
        if (registered.trace) otel.trace.disable();
        if (registered.propagation) otel.propagation.disable();
        if (registered.context) otel.context.disable();
      })()),
  };
}
