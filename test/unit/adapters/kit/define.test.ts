// The adapter kit (issue 9 point 4): credentials and settings typed, strict, parsed once when the account is
// loaded, one error and message for a bad configuration whatever the vendor; the capabilities the manifest
// declares agree with the handlers.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ADAPTERS, VENDOR_IDS } from "../../../../src/adapters/registry.js";
import { defineAdapter } from "../../../../src/adapters/kit/define.js";
import { defineManifest } from "../../../../src/adapters/kit/manifest.js";
import { accountSettingsSchema } from "../../../../src/adapters/kit/settings.js";
import { toAdapterAccount, parseAccountConfig } from "../../../../src/core/accounts.js";
import { encryptJson } from "../../../../src/domain/crypto.js";
import { AccountConfigError, isVendorError } from "../../../../src/domain/errors.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const masterKey = Buffer.alloc(32, 7);

function row(vendor: string, credentials: unknown, settings: unknown) {
  const id = `va_kit_${vendor}`;
  return {
    id,
    tenantId: "ten_kit",
    vendor,
    name: "kit",
    baseUrl: `https://${vendor}.vendor.test/`,
    credentialsEnc: encryptJson(masterKey, credentials, `vendor-account:${id}`),
    settings,
    credits: null,
    creditsCheckedAt: null,
    healthOk: null,
    healthDetail: null,
    healthCheckedAt: null,
    disabledAt: null,
    createdAt: new Date(),
  } as unknown as Parameters<typeof toAdapterAccount>[2];
}

const sandboxCredentials = (vendor: (typeof VENDOR_IDS)[number]) => ADAPTERS[vendor].manifest.sandbox.credentials as Record<string, unknown>;

describe("every vendor's settings: the shared keys merged in, strict", () => {
  it.each(VENDOR_IDS)("%s keeps concurrency, timeoutMs, maxRetries and the core's deadlines", (vendor) => {
    const shared = { concurrency: 3, timeoutMs: 5_000, maxRetries: 1, processingDeadlineHours: 12, pollBackoffMaxSeconds: 30 };
    expect(ADAPTERS[vendor].settings.parse(shared)).toMatchObject(shared);
  });

  it.each(VENDOR_IDS)("%s refuses an unknown key with its path (it was stripped by four of the five)", (vendor) => {
    const paths = (() => {
      try {
        ADAPTERS[vendor].settings.parse({ concurency: 4 });
        return [];
      } catch (e) {
        return (e as z.ZodError).issues.map((i) => i.path.join("."));
      }
    })();
    expect(paths).toEqual(["concurency"]);
  });

  it("a vendor may narrow a shared key or give it a default", () => {
    const schema = accountSettingsSchema({ concurrency: z.number().int().min(1).max(4).default(2) });
    expect(schema.parse({})).toEqual({ concurrency: 2 });
    expect(() => schema.parse({ concurrency: 8 })).toThrow();
    expect(schema.parse({ maxRetries: 0 })).toEqual({ concurrency: 2, maxRetries: 0 });
  });
});

describe("parsed once, when the account is loaded", () => {
  it.each(VENDOR_IDS)("%s: toAdapterAccount gives the parsed values (defaults filled) and the handlers take them as they are", (vendor) => {
    const account = toAdapterAccount(masterKey, "https://gateway.test", row(vendor, sandboxCredentials(vendor), {}));
    expect(account.settings).toEqual(ADAPTERS[vendor].settings.parse({}));
    expect(account.baseUrl).toBe(`https://${vendor}.vendor.test`);
    // the same object comes back: nothing is parsed a second time
    expect(ADAPTERS[vendor].parseAccount(account)).toBe(account);
  });

  it.each(VENDOR_IDS)("%s: a stored configuration that no longer parses is one AccountConfigError, its message the same for every vendor", (vendor) => {
    const err = (() => {
      try {
        toAdapterAccount(masterKey, "https://gateway.test", row(vendor, sandboxCredentials(vendor), { concurency: 4 }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AccountConfigError);
    expect(err).toMatchObject({
      vendor,
      part: "settings",
      kind: "rejected",
      retryable: false,
      message: `${vendor} account settings are not valid at settings.concurency`,
    });
    // a technical reason, never a decision about the user
    expect((err as AccountConfigError).toReason()).toMatchObject({ code: "vendor_rejected_request", category: "technical", vendor });
  });

  it("credentials and settings are reported together, credentials first, by path only (never a value)", () => {
    const err = (() => {
      try {
        parseAccountConfig("dms", { credentials: { webhookSecrets: ["whsec_never_in_a_message"] }, settings: { minFaceQuality: 2 } });
      } catch (e) {
        return e as AccountConfigError;
      }
    })()!;
    expect(err.part).toBe("credentials");
    expect(err.kind).toBe("auth");
    expect(err.issues.map((i) => i.path.join("."))).toEqual(["credentials.apiKey", "settings.minFaceQuality"]);
    expect(err.message).toBe("dms account credentials are not valid at credentials.apiKey, settings.minFaceQuality");
    expect(JSON.stringify(err.issues)).not.toContain("whsec_never_in_a_message");
  });

  it.each(VENDOR_IDS)("%s: a direct caller's unparsed account meets the same error at start(), before any vendor call", async (vendor) => {
    const account = makeAccount(vendor, { credentials: sandboxCredentials(vendor), settings: { nope: true } });
    const h = makeHarness(account);
    const err = await ADAPTERS[vendor].start(makeVerification({}, ["liveness"]), account, h.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountConfigError);
    expect((err as Error).message).toBe(`${vendor} account settings are not valid at settings.nope`);
    expect(h.calls).toHaveLength(0);
  });

  it("a health probe of such an account reports it instead of calling the vendor", async () => {
    const account = makeAccount("dms", { credentials: {}, settings: {} });
    const h = makeHarness(account);
    const r = await ADAPTERS.dms.health!(account, h.ctx);
    expect(r).toEqual({ ok: false, detail: "dms account credentials are not valid at credentials.apiKey" });
    expect(h.calls).toHaveLength(0);
  });

  it("a webhook against credentials that do not parse is refused, not thrown", () => {
    const account = makeAccount("verificaridentidad", { credentials: { apiUser: "u" } });
    const raw = {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      query: {},
      rawBody: Buffer.from("{}"),
      receivedAt: new Date(),
    };
    expect(ADAPTERS.verificaridentidad.authenticateWebhook!(raw, account)).toBe(false);
  });
});

describe("the manifest's capabilities agree with the handlers", () => {
  const manifest = (capabilities: Partial<Record<"webhooks" | "polling", boolean>>) =>
    defineManifest({
      id: "acme",
      displayName: "Acme",
      capabilities: { document: true, liveness: false, faceMatch: false, hosted: false, webhooks: false, polling: false, ...capabilities },
      defaultBaseUrl: "https://acme.test",
      credentials: z.object({}),
      secretKeys: [],
      settings: accountSettingsSchema({}),
      sandbox: { path: "/acme", credentials: {} },
      faultPoints: [],
    });
  const start = async () => ({ status: "failed" as const, reasons: [] });

  it("polling: true needs poll, and poll needs polling: true", () => {
    expect(() => defineAdapter({ manifest: manifest({ polling: true }), mappingVersion: "1", start })).toThrow(/capabilities.polling/);
    expect(() => defineAdapter({ manifest: manifest({}), mappingVersion: "1", start, poll: start })).toThrow(/capabilities.polling/);
  });

  it("webhooks: true needs parseWebhook, and a parser needs authentication", () => {
    expect(() => defineAdapter({ manifest: manifest({ webhooks: true }), mappingVersion: "1", start })).toThrow(/capabilities.webhooks/);
    expect(() => defineAdapter({ manifest: manifest({ webhooks: true }), mappingVersion: "1", start, parseWebhook: () => [] })).toThrow(/authenticateWebhook/);
  });

  it.each(VENDOR_IDS)("%s: the registered adapter is its manifest's", (vendor) => {
    const a = ADAPTERS[vendor];
    expect(a.vendor).toBe(vendor);
    expect(a.manifest.id).toBe(vendor);
    expect(a.capabilities).toBe(a.manifest.capabilities);
    expect(Boolean(a.poll)).toBe(a.capabilities.polling);
    expect(Boolean(a.parseWebhook)).toBe(a.capabilities.webhooks);
    expect(isVendorError(new AccountConfigError(vendor, "settings", []))).toBe(true);
  });
});
