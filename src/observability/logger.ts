// pino JSON logs. Personal data never reaches a log line: request bodies are never
// logged, and these paths are censored wherever an object slips through.
import pino, { type Logger } from "pino";
import { currentRequestId } from "./work-context.js";

const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-hillogy-signature']",
  "req.body",
  "res.body",
  "*.apiKey",
  "*.credentials",
  "*.secret",
  "*.password",
  "*.data",
  "*.image_base64",
  "*.identyBlob",
  "*.phone",
  "*.firstName",
  "*.lastName",
  "*.documentNumber",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "kyc-gateway" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      // errorForLog's output is already safe and keeps the real name as `type`; pino's own serializer
      // would take it for an error (it has a message) and rename it after its constructor, "Object"
      serializers: { err: (e: unknown) => (e instanceof Error ? errorForLog(e) : e) },
      // every line of a request's or a job's work names its request id
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
    },
    destination,
  );
}

/**
 * An error as it may be logged. Some messages quote the data they failed on: Prisma's
 * repeat the query's arguments, JSON.parse's quote the text. Those keep only their
 * name, code and stack frames; others keep a short message.
 */
export function errorForLog(e: unknown): { type: string; code?: string; message?: string; stack?: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const quotesData = err.name.startsWith("PrismaClient") || err instanceof SyntaxError;
  const frames = err.stack
    ?.split("\n")
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 8)
    .join("\n");
  return {
    type: err.name,
    ...(typeof code === "string" ? { code } : {}),
    ...(quotesData ? {} : { message: err.message.slice(0, 300) }),
    ...(frames ? { stack: frames } : {}),
  };
}

// path segments that are credentials: the IDENTY SDK proxy's token (/sdk/identy/<token>/api/v1/...)
const CREDENTIAL_SEGMENTS = [/^(\/sdk\/identy\/)[^/]+/];

/**
 * A request path as it may be logged: no query string (tokens, ?token=, signed links), and
 * path segments that are credentials replaced by "[redacted]".
 */
export function pathForLog(url: string): string {
  let path = url.split(/[?#]/)[0] ?? "";
  for (const pattern of CREDENTIAL_SEGMENTS) path = path.replace(pattern, "$1[redacted]");
  return path;
}
