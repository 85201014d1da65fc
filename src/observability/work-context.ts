// The request id of the work a process is doing now, carried by AsyncLocalStorage: an API request
// (X-Request-Id or a fresh one), a job (the id of the work that asked for it, from the job's data), or
// work a process starts by itself (a sweep, a health probe, the webhook spool drain: a fresh id).
// It goes into every outbox row, vendor call row, outbound webhook event and log line of that work.
// An id is only an id: never personal data (the API accepts `[\w.-]{1,100}` from clients).
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

const store = new AsyncLocalStorage<{ requestId: string }>();

export const REQUEST_ID_PATTERN = /^[\w.-]{1,100}$/;

export function newRequestId(): string {
  return randomUUID();
}

export function currentRequestId(): string | null {
  return store.getStore()?.requestId ?? null;
}

/** Runs `fn` as part of the work `requestId` names (a fresh id when none is given). */
export function runWithRequestId<T>(requestId: string | null | undefined, fn: () => T): T {
  return store.run({ requestId: requestId && REQUEST_ID_PATTERN.test(requestId) ? requestId : newRequestId() }, fn);
}
