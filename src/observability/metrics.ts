import client from "prom-client";

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const vendorCallDuration = new client.Histogram({
  name: "kyc_vendor_call_duration_seconds",
  help: "Latency of each vendor HTTP attempt by vendor, endpoint and outcome",
  labelNames: ["vendor", "endpoint", "outcome"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
  registers: [registry],
});

export const verificationOutcomes = new client.Counter({
  name: "kyc_verification_outcomes_total",
  help: "Verifications reaching a terminal status, by vendor, status and decision",
  labelNames: ["vendor", "status", "decision"] as const,
  registers: [registry],
});

export const queueDepth = new client.Gauge({
  name: "kyc_queue_depth",
  help: "Jobs waiting or delayed per BullMQ queue",
  labelNames: ["queue", "state"] as const,
  registers: [registry],
});

export const outboxBacklog = new client.Gauge({
  name: "kyc_outbox_unpublished",
  help: "Outbox rows not yet published to Redis",
  registers: [registry],
});

export const sweptWork = new client.Counter({
  name: "kyc_swept_total",
  help: "Work the durable sweeper found without a job and re-enqueued (or jobs it found lost and published again), by kind",
  labelNames: ["kind"] as const,
  registers: [registry],
});

export const webhookDeliveries = new client.Counter({
  name: "kyc_webhook_delivery_attempts_total",
  help: "Outbound webhook delivery attempts by result",
  labelNames: ["result"] as const,
  registers: [registry],
});
