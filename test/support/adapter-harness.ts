// A real AdapterContext for adapter unit tests: vendor calls go through the real
// resilient HTTP path (intercepted by nock or served by a sandbox simulator), and
// every side effect the adapter asks for is collected for assertions.
import { createHash } from "node:crypto";
import pino from "pino";
import type { AccountEventInput, AdapterAccount, AdapterContext, AdapterVerification, ArtifactInput, VerificationInputData } from "../../src/adapters/types.js";
import type { CheckName, VendorId } from "../../src/domain/model.js";
import { createVendorHttp, type ResilienceSettings, type VendorCallRecord } from "../../src/core/vendor-http.js";

export interface Harness {
  ctx: AdapterContext;
  calls: VendorCallRecord[];
  payloads: { kind: string; body: unknown }[];
  credits: number[];
  accountEvents: AccountEventInput[];
  artifacts: ArtifactInput[];
}

let accountSeq = 0;

export function makeAccount(vendor: VendorId, overrides: Partial<AdapterAccount> = {}): AdapterAccount {
  accountSeq += 1;
  const id = overrides.id ?? `va_test_${vendor}_${accountSeq}_${Math.random().toString(36).slice(2, 8)}`;
  return {
    id,
    tenantId: "ten_test",
    vendor,
    baseUrl: `https://${vendor}.vendor.test`,
    credentials: {},
    settings: {},
    webhookUrl: `https://gateway.test/hooks/${vendor}/${id}`,
    ...overrides,
  };
}

export function makeVerification(input: VerificationInputData, checks: CheckName[], overrides: Partial<AdapterVerification> = {}): AdapterVerification {
  return {
    id: `ver_test_${Math.random().toString(36).slice(2, 10)}`,
    tenantId: "ten_test",
    reference: "customer-42",
    checks,
    createdAt: new Date(),
    status: "pending",
    decision: null,
    vendorReference: null,
    pollCount: 0,
    metadata: {},
    input,
    ...overrides,
  };
}

export function makeHarness(
  account: AdapterAccount,
  verificationId: string | null = null,
  resilience: Partial<ResilienceSettings> = {},
  now: () => Date = () => new Date(),
): Harness {
  const h: Omit<Harness, "ctx"> = { calls: [], payloads: [], credits: [], accountEvents: [], artifacts: [] };
  const ctx: AdapterContext = {
    http: createVendorHttp({
      vendor: account.vendor,
      vendorAccountId: account.id,
      verificationId,
      settings: { retryBaseMs: 1, retryMaxMs: 5, ...resilience },
      onCall: (r) => h.calls.push(r),
    }),
    log: pino({ level: "silent" }),
    now,
    recordPayload: (kind, body) => h.payloads.push({ kind, body }),
    recordCredits: (c) => h.credits.push(c),
    recordAccountEvent: (e) => h.accountEvents.push(e),
    saveArtifact: async (a) => {
      h.artifacts.push(a);
    },
    publicBaseUrl: "https://gateway.test",
    deriveKey: (purpose) => createHash("sha256").update(`test-master-key:${purpose}`).digest(),
  };
  return { ...h, ctx };
}

/**
 * A header-only JPEG whose frame says width x height (what an image-size reader and the IWS simulator's
 * 480x640 check see), with `tag` in a comment segment (the simulators' markers are read from the bytes).
 */
export function sizedJpeg(tag = "x", width = 480, height = 640): Buffer {
  const text = Buffer.from(tag || "x");
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]), text]);
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), com, sof, Buffer.from([0xff, 0xd9])]);
}

/** A tiny but real JPEG/PNG header so magic-byte sniffing accepts the bytes. */
export function fakeJpeg(tag = "x"): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), Buffer.from(tag.padEnd(64, "."))]);
}
