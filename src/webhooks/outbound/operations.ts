// The operations webhook: alerts for the gateway's operators (an account's credits or call allowance crossing a
// threshold), signed like tenant webhooks (Standard Webhooks) with OPS_WEBHOOK_SECRET and posted to
// OPS_WEBHOOK_URL. The operators configure the URL themselves, so it is not held to the tenant URL guard; it carries
// ids and figures only. A failed post throws: the job's attempts retry it (outbox row → BullMQ, exponential).
import axios from "axios";
import type { Logger } from "pino";
import type { Env } from "../../config/env.js";
import type { JobPayloads } from "../../core/jobs.js";
import { signatureHeaders } from "./signing.js";

export async function sendOperationsNotification(
  deps: { env: Env; log: Logger },
  job: JobPayloads["notify"],
  now = new Date(),
): Promise<"sent" | "not_configured"> {
  const { OPS_WEBHOOK_URL: url, OPS_WEBHOOK_SECRET: secret } = deps.env;
  if (!url || !secret) {
    deps.log.warn({ notification: job.notification }, "operations alert (no OPS_WEBHOOK_URL configured)");
    return "not_configured";
  }
  const body = JSON.stringify({ type: job.notification.type, timestamp: now.toISOString(), data: job.notification });
  const res = await axios.post(url, body, {
    headers: { "content-type": "application/json", ...signatureHeaders(job.notification.id, now, body, [secret]) },
    timeout: deps.env.WEBHOOK_TIMEOUT_MS,
    maxRedirects: 0,
    validateStatus: () => true,
  });
  if (res.status < 200 || res.status >= 300) throw new Error(`operations webhook answered ${res.status}`);
  return "sent";
}
