// Issue 9 point 3: a request is checked by the core against the account about to serve it, never again by the
// adapter. These are the refusals each adapter's start() used to make itself (moved from the adapters' tests):
// the same inputs, refused by requestRefusal before any vendor call, as a technical reason naming the fields.
import { describe, expect, it } from "vitest";
import { adapterFor } from "../../../src/adapters/registry.js";
import type { AdapterAccount, AdapterVerification, VendorAdapter } from "../../../src/adapters/types.js";
import { requestRefusal } from "../../../src/core/request-guard.js";
import type { VendorId } from "../../../src/domain/model.js";
import { fakeJpeg, makeAccount, makeVerification } from "../../support/adapter-harness.js";
import { dmsAccount, input as dmsInput, verification as dmsVerification } from "../adapters/dms/helpers.js";
import { png } from "../adapters/shareid/images.js";

const ACCEPTED_AT = new Date("2026-12-03T10:00:00Z");
const adapter = (vendor: VendorId): VendorAdapter => adapterFor(vendor)!;

function refused(vendor: VendorId, v: AdapterVerification, account: AdapterAccount) {
  const r = requestRefusal(adapter(vendor), v, account, ACCEPTED_AT);
  expect(r).toMatchObject({ code: "vendor_rejected_request", category: "technical", vendor, vendorCode: null });
  return r!.message!;
}

describe("requestRefusal, before any vendor call", () => {
  it("DMS: liveness without the selfie it needs", () => {
    expect(refused("dms", dmsVerification(["liveness"], dmsInput({ selfie: null })), dmsAccount())).toContain("selfie (422)");
  });

  it("IDENTY: face_match with a selfie but nothing to match it with", () => {
    const selfie = { contentType: "image/jpeg", data: fakeJpeg("s") };
    expect(refused("identy", makeVerification({ selfie }, ["face_match"]), makeAccount("identy"))).toContain("document.images");
  });

  it("ShareID: an image below its 224 px minimum", () => {
    const account = makeAccount("shareid", { credentials: { apiKey: "test-api-key", businessHash: "test-business-hash" } });
    const small = { document: { images: [{ contentType: "image/png", data: png(10, 10) }] } };
    expect(refused("shareid", makeVerification(small, ["document"]), account)).toContain("document.images[0].data (422)");
  });

  it("VerificarIdentidad: a landline and a message without [LINK], named without personal data", () => {
    const account = makeAccount("verificaridentidad", { credentials: { apiUser: "u", apiToken: "t", webhookUser: "h", webhookPassword: "p" } });
    const message = refused(
      "verificaridentidad",
      makeVerification({ subject: { phone: "+34911234567" }, hosted: { smsMessage: "hola" } }, ["liveness"]),
      account,
    );
    expect(message).toBe("the request does not suit this vendor account: subject.phone (400), hosted.smsMessage (400)");
    expect(message).not.toContain("911234567");
    expect(message).not.toContain("hola");
  });

  it("is judged as of the acceptance: a send scheduled after it is not refused because the start came later", () => {
    const account = makeAccount("verificaridentidad", { credentials: { apiUser: "u", apiToken: "t", webhookUser: "h", webhookPassword: "p" } });
    const v = makeVerification(
      { subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]", sendAt: new Date(ACCEPTED_AT.getTime() + 60_000).toISOString() } },
      ["liveness"],
    );
    expect(requestRefusal(adapter("verificaridentidad"), v, account, ACCEPTED_AT)).toBeNull();
    expect(requestRefusal(adapter("verificaridentidad"), v, account, new Date(ACCEPTED_AT.getTime() + 120_000))?.message).toContain("hosted.sendAt (400)");
  });

  it("admits what the vendor takes, and a vendor without validateRequest admits everything", () => {
    expect(requestRefusal(adapter("dms"), dmsVerification(["document", "liveness", "face_match"], dmsInput()), dmsAccount(), ACCEPTED_AT)).toBeNull();
    const bare = { ...adapter("dms"), validateRequest: undefined } as VendorAdapter;
    expect(requestRefusal(bare, dmsVerification(["liveness"], dmsInput({ selfie: null })), dmsAccount(), ACCEPTED_AT)).toBeNull();
  });
});
