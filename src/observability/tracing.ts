// OpenTelemetry traces, off unless configured: OTEL_TRACES_EXPORTER (otlp | console | none) or an
// OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, read by the
// exporter itself with OTEL_EXPORTER_OTLP_HEADERS). Spans are made by hand where work crosses a
// boundary: the API request, the outbox publish, the worker job, each vendor call, each webhook
// delivery. The W3C trace context goes from one process to the next in the outbox row and the
// job data (`traceparent`), never in personal data. Attributes carry ids, vendor, queue, status:
// never a body, a header value, a URL query or anything a person typed.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export { SpanKind };

const TRACER = "kyc-gateway";

export interface TracingConfig {
  OTEL_TRACES_EXPORTER?: "otlp" | "console" | "none";
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_SERVICE_NAME: string;
}

export interface Tracing {
  enabled: boolean;
  /** exports what is buffered and stops (on shutdown) */
  shutdown(): Promise<void>;
}

/** Which exporter the configuration asks for, or null when tracing is off. */
export function tracesExporterOf(cfg: Omit<TracingConfig, "OTEL_SERVICE_NAME">): "otlp" | "console" | null {
  if (cfg.OTEL_TRACES_EXPORTER === "none") return null;
  if (cfg.OTEL_TRACES_EXPORTER) return cfg.OTEL_TRACES_EXPORTER;
  return cfg.OTEL_EXPORTER_OTLP_ENDPOINT || cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? "otlp" : null;
}

/**
 * Registers the global tracer provider (and with it the AsyncLocalStorage context manager and the
 * W3C propagator) when tracing is configured. `exporter` replaces the configured one (tests).
 */
export function startTracing(cfg: TracingConfig, opts: { exporter?: SpanExporter } = {}): Tracing {
  const kind = opts.exporter ? "given" : tracesExporterOf(cfg);
  if (!kind) return { enabled: false, shutdown: async () => undefined };
  const exporter = opts.exporter ?? (kind === "console" ? new ConsoleSpanExporter() : new OTLPTraceExporter());
  // a given (in-memory) exporter sees each span as it ends; a real one gets batches
  const processor = opts.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: cfg.OTEL_SERVICE_NAME }), spanProcessors: [processor] });
  provider.register();
  return {
    enabled: true,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

function tracer() {
  return trace.getTracer(TRACER);
}

/**
 * Runs `fn` in a new active span (a child of `parent`, else of the active span); the span records an
 * error status when `fn` throws and ends when it settles. Without a registered provider it costs nothing.
 */
export async function inSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  return tracer().startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      // the error's type only: messages may quote what they failed on
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : "error" });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Starts a span the caller ends (an HTTP request, which ends when its response is sent). */
export function startSpan(name: string, opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context }): { span: Span; context: Context } {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

export function runInContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** The W3C traceparent of the active span (of `ctx` when given), or null when nothing is traced. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? null;
}

/** The context a traceparent continues (the root context when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}
