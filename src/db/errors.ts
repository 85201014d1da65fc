// Which errors mean "the database is not available right now" (answered 503 with Retry-After,
// retried by workers) rather than a fault of the request or of the code.

// Prisma: P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server closed the
// connection, P2024 timed out fetching a connection from the pool, P2037 too many connections,
// P2028 an interactive transaction that could not start within maxWait (the pool is saturated) or
// ran out of time (rolled back): either way nothing was written and the request can be repeated.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P2037"]);
// @prisma/adapter-pg's DriverAdapterError kinds for the same situations
const ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "DatabaseAccessDenied",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TransactionAlreadyClosed",
]);
// SQLSTATE: class 08 connection exception, 53300 too many connections, 57P01-57P03 shutdown /
// cannot connect now, 57014 query canceled (statement_timeout)
const SQLSTATE = /^(08\d{3}|53300|57P0[123]|57014)$/;
const NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);
const MESSAGES =
  /(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Can't reach database server|connection to server .* failed)/i;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 4) return false;
  const e = err as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } };
    kind?: unknown;
  };
  if (typeof e.code === "string" && (PRISMA_CODES.has(e.code) || NODE_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
  if (e.name === "PrismaClientInitializationError") return true;
  const adapterCause = e.meta?.driverAdapterError?.cause;
  if (adapterCause?.kind && ADAPTER_KINDS.has(adapterCause.kind)) return true;
  if (adapterCause?.originalCode && SQLSTATE.test(adapterCause.originalCode)) return true;
  if (typeof e.kind === "string" && ADAPTER_KINDS.has(e.kind)) return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  // Node's connection attempts to every address of a name (happy eyeballs) fail as one AggregateError
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
