// Outbound events: one webhook_events row per change, one delivery per subscribed
// endpoint, and a deliver job per delivery, all in the caller's transaction.
import type { Prisma } from "../generated/prisma/client.js";
import { newId, type Keys } from "../domain/crypto.js";
import { eventPayloadColumns } from "./at-rest.js";
import type { VerificationResource } from "../domain/model.js";
import { enqueue } from "./jobs.js";
import { currentRequestId } from "../observability/work-context.js";

export const EVENT_TYPES = ["verification.updated", "verification.completed", "verification.failed"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export async function emitVerificationEvent(
  tx: Prisma.TransactionClient,
  keys: Keys,
  tenantId: string,
  type: EventType,
  resource: VerificationResource,
  now = new Date(),
): Promise<string> {
  const eventId = newId("msg");
  const payload = { type, timestamp: now.toISOString(), data: resource };
  await tx.webhookEvent.create({
    data: {
      id: eventId,
      tenantId,
      type,
      verificationId: resource.id,
      ...eventPayloadColumns(keys, eventId, payload),
      requestId: currentRequestId(),
      createdAt: now,
    },
  });
  const endpoints = await tx.webhookEndpoint.findMany({ where: { tenantId, disabledAt: null, deletedAt: null } });
  for (const ep of endpoints) {
    if (ep.events.length > 0 && !ep.events.includes(type)) continue;
    const deliveryId = newId("dlv");
    await tx.webhookDelivery.create({ data: { id: deliveryId, eventId, endpointId: ep.id, status: "pending", nextAttemptAt: now } });
    await enqueue(tx, "deliver", `${deliveryId}-1`, { deliveryId });
  }
  return eventId;
}

export function eventTypeFor(status: string): EventType {
  if (status === "completed") return "verification.completed";
  if (status === "failed") return "verification.failed";
  return "verification.updated";
}
