// pino JSON logs. Personal data never reaches a log line: request bodies are never
// logged, and these paths are censored wherever an object slips through.
import pino, { type Logger } from "pino";

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
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
