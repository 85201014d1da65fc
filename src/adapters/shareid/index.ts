// ShareID photo-based document authenticity: synchronous, document only.
// Doc: ../shared/vendors/shareid-authenticity-photo.txt
import { VendorError } from "../../domain/errors.js";
import { defineAdapter } from "../kit/define.js";
import { manifest } from "./manifest.js";
import { buildForm, ENDPOINT, postAuthenticityPhoto, readCredentials, readSettings } from "./client.js";
import { mapShareidResult, renormalizeShareid } from "./result.js";
import { parseLenientJson, ShareidResultSchema } from "./schemas.js";
import { validateShareidRequest } from "./validate.js";

export const shareidAdapter = defineAdapter({
  manifest,
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "shareid-2026.12.3",
  // the recorded answer (kind ENDPOINT) read again by the same mapShareidResult as start()
  renormalize: (payloads, v) => renormalizeShareid(payloads, v),

  validateRequest(input, checks) {
    return validateShareidRequest(input, checks);
  },

  async start(v, account, ctx) {
    const creds = readCredentials(account);
    const settings = readSettings(account);
    // the pipeline validates first; this guards direct callers, and never sends what ShareID would refuse
    const problems = validateShareidRequest(v.input, ["document"]);
    if (problems.length > 0)
      throw new VendorError({
        kind: "rejected",
        vendor: "shareid",
        retryable: false,
        endpoint: ENDPOINT,
        message: `request not acceptable for ShareID: ${problems.map((p) => `${p.path} (${p.status})`).join(", ")}`,
      });

    const res = await postAuthenticityPhoto(ctx, account, settings, buildForm(v.input, creds));
    const body = res.json ?? parseLenientJson(res.text);
    if (body !== undefined) ctx.recordPayload(ENDPOINT, body);
    const parsed = ShareidResultSchema.safeParse(body);
    if (!parsed.success)
      throw new VendorError({
        kind: "parse",
        vendor: "shareid",
        retryable: false,
        endpoint: ENDPOINT,
        httpStatus: res.status,
        message: `ShareID answer does not match the documented result (${
          body === undefined ? "not JSON" : parsed.error.issues.map((i) => i.path.join(".") || "(root)").join(", ")
        })`,
      });
    const outcome = mapShareidResult(parsed.data, v.checks);
    // normalized codes only: an undocumented reason's vendorCode is ShareID's free text, which may name the person
    ctx.log.info({ vendor: "shareid", flowId: outcome.vendorReference, decision: outcome.decision, reasons: outcome.reasons.map((r) => r.code) }, "shareid result");
    return outcome;
  },
});
