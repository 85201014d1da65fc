// The console's account forms from the manifests (GET /admin/vendors): JSON Schema from zod, and the credentials
// box's starting value the same as the hand-written templates it replaces (the console's client reads it).
import { describe, expect, it } from "vitest";
import { ADAPTERS, VENDOR_IDS } from "../../../../src/adapters/registry.js";
import { vendorForm } from "../../../../src/adapters/kit/forms.js";

describe("vendorForm", () => {
  it("keeps the templates the console showed before", () => {
    const templates = Object.fromEntries(VENDOR_IDS.map((v) => [v, vendorForm(ADAPTERS[v].manifest).credentialsTemplate]));
    expect(templates).toEqual({
      dms: { apiKey: "", webhookSecrets: [""] },
      shareid: { apiKey: "", businessHash: "" },
      identomat: { companyKey: "", secretKey: "" },
      verificaridentidad: { apiUser: "", apiToken: "", webhookUser: "", webhookPassword: "" },
      identy: {},
    });
  });

  it.each(VENDOR_IDS)("%s: JSON Schemas of what an operator may write (settings strict, the shared keys in)", (vendor) => {
    const form = vendorForm(ADAPTERS[vendor].manifest);
    expect(form).toMatchObject({
      vendor,
      displayName: ADAPTERS[vendor].manifest.displayName,
      defaultBaseUrl: ADAPTERS[vendor].defaultBaseUrl,
      capabilities: ADAPTERS[vendor].capabilities,
      secretKeys: ADAPTERS[vendor].credentials.secretKeys,
    });
    expect(form.credentialsSchema.type).toBe("object");
    expect(form.settingsSchema).toMatchObject({ type: "object", additionalProperties: false });
    expect(Object.keys(form.settingsSchema.properties ?? {})).toEqual(expect.arrayContaining(["concurrency", "timeoutMs", "maxRetries"]));
    // serializable as it is served
    expect(JSON.parse(JSON.stringify(form))).toEqual(form);
  });
});
