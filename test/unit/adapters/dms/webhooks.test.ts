// DMS account webhooks: X-Hillogy-Signature verification and event parsing, on the doc's own
// anomaly.detected example (raw bytes as in the fixture file).
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dmsAdapter } from "../../../../src/adapters/dms/index.js";
import { WEBHOOK_EVENT_MAP } from "../../../../src/adapters/dms/mapping.js";
import { authenticateWebhook, parseSignatureHeader, parseWebhook, signHillogy } from "../../../../src/adapters/dms/webhooks.js";
import type { RawWebhookRequest } from "../../../../src/adapters/types.js";
import { isVendorError } from "../../../../src/domain/errors.js";
import { SECRET_PRIMARY, SECRET_STAGED, dmsAccount, fixtureText } from "./helpers.js";

const RAW = Buffer.from(fixtureText("webhook-anomaly-detected.json"), "utf8");
const TS = 1745006531; // the doc's sample X-Hillogy-Timestamp
const RECEIVED = new Date((TS + 12) * 1000);

function request(
  opts: {
    body?: Buffer;
    ts?: number | string;
    headerTs?: string | null;
    sig?: string | null;
    secret?: string;
    deliveryId?: string | null;
    receivedAt?: Date;
  } = {},
): RawWebhookRequest {
  const body = opts.body ?? RAW;
  const ts = opts.ts ?? TS;
  const headers: Record<string, string> = { "content-type": "application/json" };
  const sig = opts.sig === undefined ? `t=${ts},v1=${signHillogy(opts.secret ?? SECRET_PRIMARY, ts, body)}` : opts.sig;
  if (sig !== null) headers["x-hillogy-signature"] = sig;
  const headerTs = opts.headerTs === undefined ? String(ts) : opts.headerTs;
  if (headerTs !== null) headers["x-hillogy-timestamp"] = headerTs;
  const deliveryId = opts.deliveryId === undefined ? "c9f4b8d2-2a1a-4a7b-bbd2-f0b7d8e4a311" : opts.deliveryId;
  if (deliveryId !== null) headers["x-hillogy-delivery-id"] = deliveryId;
  return { method: "POST", headers, query: {}, rawBody: body, receivedAt: opts.receivedAt ?? RECEIVED };
}

const oneSecret = dmsAccount();
const rotating = dmsAccount({}, { credentials: { apiKey: "k", webhookSecrets: [SECRET_PRIMARY, SECRET_STAGED] } });

describe("signHillogy", () => {
  it("is hex HMAC-SHA256(secret, timestamp + '.' + rawBody), as in the doc's Node verifier", () => {
    const expected = createHmac("sha256", SECRET_PRIMARY)
      .update(`${TS}.${RAW.toString("utf8")}`)
      .digest("hex");
    expect(signHillogy(SECRET_PRIMARY, TS, RAW)).toBe(expected);
    expect(signHillogy(SECRET_PRIMARY, String(TS), RAW.toString("utf8"))).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it("parses the t=..,v1=.. envelope, keeping several v1 values", () => {
    expect(parseSignatureHeader("t=1745006531,v1=aa,v1=bb")).toEqual({ t: "1745006531", v1: ["aa", "bb"] });
    expect(parseSignatureHeader("garbage")).toEqual({ t: null, v1: [] });
  });
});

describe("authenticateWebhook", () => {
  it("accepts a delivery signed with the account's secret", () => {
    expect(authenticateWebhook(request(), oneSecret)).toBe(true);
    expect(dmsAdapter.authenticateWebhook!(request(), oneSecret)).toBe(true);
  });

  it("refuses a delivery signed with another secret", () => {
    expect(authenticateWebhook(request({ secret: "whsec_someone_else" }), oneSecret)).toBe(false);
  });

  it("during rotation accepts either secret, and a header carrying both signatures", () => {
    expect(authenticateWebhook(request({ secret: SECRET_PRIMARY }), rotating)).toBe(true);
    expect(authenticateWebhook(request({ secret: SECRET_STAGED }), rotating)).toBe(true);
    expect(authenticateWebhook(request({ secret: SECRET_STAGED }), oneSecret)).toBe(false);
    const both = `t=${TS},v1=${signHillogy("whsec_retired", TS, RAW)},v1=${signHillogy(SECRET_STAGED, TS, RAW)}`;
    expect(authenticateWebhook(request({ sig: both }), rotating)).toBe(true);
  });

  it.each([
    [-299, true],
    [0, true],
    [300, true],
    [301, false],
    [3600, false],
    [-301, false],
  ])("a timestamp %s s from the receipt time -> %s (5-minute window)", (offset, ok) => {
    const receivedAt = new Date((TS + offset) * 1000);
    expect(authenticateWebhook(request({ receivedAt }), oneSecret)).toBe(ok);
  });

  it("refuses a tampered body (a single byte changed)", () => {
    const signedFor = RAW;
    const tampered = Buffer.from(RAW.toString("utf8").replace('"421"', '"422"'), "utf8");
    const sig = `t=${TS},v1=${signHillogy(SECRET_PRIMARY, TS, signedFor)}`;
    expect(authenticateWebhook(request({ body: tampered, sig }), oneSecret)).toBe(false);
  });

  it("verifies the raw bytes, not a re-serialisation of the JSON", () => {
    const compact = Buffer.from(JSON.stringify(JSON.parse(RAW.toString("utf8"))), "utf8");
    const sig = `t=${TS},v1=${signHillogy(SECRET_PRIMARY, TS, RAW)}`;
    expect(authenticateWebhook(request({ body: compact, sig }), oneSecret)).toBe(false);
  });

  it.each([
    ["no signature header", { sig: null }],
    ["no timestamp header", { headerTs: null }],
    ["t= disagreeing with X-Hillogy-Timestamp", { headerTs: String(TS + 1) }],
    ["no v1", { sig: `t=${TS}` }],
    ["no t", { sig: `v1=${signHillogy(SECRET_PRIMARY, TS, RAW)}` }],
    ["a v1 that is not hex", { sig: `t=${TS},v1=zz${"0".repeat(62)}` }],
    ["a truncated v1 (the doc's elided sample)", { sig: `t=${TS},v1=3b4f9a` }],
    ["a non-numeric timestamp", { ts: "soon", headerTs: "soon" }],
  ] as const)("refuses %s without throwing", (_label, opts) => {
    expect(authenticateWebhook(request(opts as Parameters<typeof request>[0]), oneSecret)).toBe(false);
  });

  it("refuses everything for an account without usable webhook secrets", () => {
    const broken = dmsAccount({}, { credentials: { apiKey: "k", webhookSecrets: [] } });
    expect(authenticateWebhook(request(), broken)).toBe(false);
  });

  it("an account without webhookSecrets (it uses no account webhooks) refuses every webhook, even one signed with any secret", () => {
    const noWebhooks = dmsAccount({}, { credentials: { apiKey: "k" } });
    for (const secret of [SECRET_PRIMARY, "", "undefined"]) expect(authenticateWebhook(request({ secret }), noWebhooks)).toBe(false);
    expect(authenticateWebhook(request({ sig: `t=${TS},v1=` }), noWebhooks)).toBe(false);
  });
});

describe("parseWebhook: the event catalog", () => {
  it("the doc's anomaly.detected example becomes one account event keyed by the delivery id", () => {
    const parsed = parseWebhook(request(), oneSecret);
    expect(parsed).toEqual([
      {
        type: "account_event",
        event: {
          type: "anomaly.detected",
          externalId: "c9f4b8d2-2a1a-4a7b-bbd2-f0b7d8e4a311",
          payload: JSON.parse(RAW.toString("utf8")),
        },
      },
    ]);
  });

  it("lists the doc's eight catalog events", () => {
    expect(Object.keys(WEBHOOK_EVENT_MAP).sort()).toEqual(
      ["anomaly.detected", "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_failed", "invoice.voided", "retry", "test"].sort(),
    );
  });

  it.each([
    ["anomaly.detected", "anomaly.detected"],
    ["invoice.created", "invoice.created"],
    ["invoice.finalized", "invoice.finalized"],
    ["invoice.paid", "invoice.paid"],
    ["invoice.payment_failed", "invoice.payment_failed"],
    ["invoice.voided", "invoice.voided"],
    ["test", "test"],
    ["retry", "retry"],
    ["usage.threshold_reached", "usage.threshold_reached"], // outside the catalog: kept, never dropped
  ])("event %s -> account event %s", (event, type) => {
    const body = Buffer.from(JSON.stringify({ event, deliveryId: `dlv-${event}`, timestamp: "2026-04-18T14:32:11Z" }));
    const [parsed] = parseWebhook(request({ body, deliveryId: `hdr-${event}` }), oneSecret);
    expect(parsed?.type).toBe("account_event");
    if (parsed?.type !== "account_event") return;
    expect(parsed.event.type).toBe(type);
    expect(parsed.event.externalId).toBe(`hdr-${event}`);
  });

  it("a retry keeps originalExecutionId in the payload and has its own delivery id", () => {
    const body = Buffer.from(JSON.stringify({ event: "retry", deliveryId: "d-2", timestamp: "2026-04-18T14:40:00Z", originalExecutionId: "d-1" }));
    const [parsed] = parseWebhook(request({ body, deliveryId: "d-2" }), oneSecret);
    expect(parsed).toEqual({
      type: "account_event",
      event: {
        type: "retry",
        externalId: "d-2",
        payload: { event: "retry", deliveryId: "d-2", timestamp: "2026-04-18T14:40:00Z", originalExecutionId: "d-1" },
      },
    });
  });

  it("without the delivery-id header the body's deliveryId is the dedupe key", () => {
    const [parsed] = parseWebhook(request({ deliveryId: null }), oneSecret);
    expect(parsed?.type === "account_event" && parsed.event.externalId).toBe("c9f4b8d2-2a1a-4a7b-bbd2-f0b7d8e4a311");
  });

  it.each([
    ["a body that is not JSON", Buffer.from("event=test"), "c"],
    ["a JSON body without event", Buffer.from(JSON.stringify({ deliveryId: "x" })), "c"],
    ["a JSON array", Buffer.from("[1,2]"), "c"],
    ["no delivery id anywhere", Buffer.from(JSON.stringify({ event: "test" })), null],
  ] as const)("%s -> a parse VendorError", (_label, body, deliveryId) => {
    let err: unknown;
    try {
      parseWebhook(request({ body, deliveryId }), oneSecret);
    } catch (e) {
      err = e;
    }
    expect(isVendorError(err)).toBe(true);
    expect(isVendorError(err) && err.kind).toBe("parse");
    expect(isVendorError(err) && err.toReason().code).toBe("vendor_error");
  });
});
