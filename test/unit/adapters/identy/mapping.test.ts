import { describe, expect, it } from "vitest";
import { classifyIws } from "../../../../src/adapters/identy/client.js";
import {
  DEFAULT_LIVENESS_LEVEL,
  DEFAULT_MATCH_LEVEL,
  IWS_ERROR_CODES,
  IWS_RETRY_FEEDBACK,
  LIVENESS_LEVEL_RANK,
  LIVENESS_LEVELS,
  MATCH_LEVEL_RANK,
  SELFIE_VS_PICTURE_ID_SIMILARITY,
  SELFIE_VS_SELFIE_SIMILARITY,
  TEMPLATE_FORMAT_BY_CONTENT_TYPE,
} from "../../../../src/adapters/identy/mapping.js";
import { iwsCodeRow, templateFormatOf } from "../../../../src/adapters/identy/client.js";
import { retryFeedbackReason } from "../../../../src/adapters/identy/outcome.js";
import { VendorError } from "../../../../src/domain/errors.js";
import type { VendorResponse } from "../../../../src/core/vendor-http.js";

// The doc's table 9 and endpoint code lists, written out: code, name, HTTP_CODE, expected normalized code, technical?
const DOC_ERROR_ROWS: [number, string, number, string, "decision" | "technical", "user" | "integration" | "vendor"][] = [
  [401, "FEEDBACK_RETRY", 400, "liveness_failed", "decision", "user"],
  [404, "ERROR_CLIENT_NOT_EXISTS", 400, "vendor_rejected_request", "technical", "integration"],
  [500, "ERROR_SERVER_INTERNAL", 500, "vendor_unavailable", "technical", "vendor"],
  [501, "ERROR_INVALID_JSON", 400, "vendor_rejected_request", "technical", "integration"],
  [503, "ERROR_INVALID_IMAGE", 400, "no_face_detected", "decision", "user"],
  // our request: the format we named or image bytes the IWS cannot decode
  [504, "ERROR_INVALID_FORMAT", 400, "vendor_rejected_request", "technical", "integration"],
  [505, "ERROR_INVALID_MATCH_LEVEL", 400, "vendor_rejected_request", "technical", "integration"],
  [506, "ERROR_INVALID_AS_LEVEL", 400, "vendor_rejected_request", "technical", "integration"],
  // the tenant's SDK set up without templates: no retake by the user helps
  [507, "NO_TEMPLATES_SPECIFIED", 400, "vendor_rejected_request", "technical", "integration"],
  [509, "ERROR_MULTIPLE_FACES", 400, "multiple_faces", "decision", "user"],
  [510, "ERROR_POOR_ICAO_QUALITY", 400, "image_low_quality", "decision", "user"],
  // a BLOB for another IWS's keys (or damaged): not the user's doing
  [601, "ERROR_DECRYPTION_FAILED", 400, "vendor_rejected_request", "technical", "integration"],
  [604, "ERROR_REQUEST_EXPIRED", 500, "capture_expired", "decision", "user"],
  [900, "INVALID_IMAGE", 400, "vendor_rejected_request", "technical", "integration"],
  // the gateway sent a selfie that is not 480x640
  [901, "ERROR_WRONG_RESOLUTION", 400, "vendor_rejected_request", "technical", "integration"],
];

function response(status: number, body: unknown): VendorResponse {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return { status, headers: { "content-type": "application/json" }, rawBody: Buffer.from(text), text, json: undefined };
}

describe("IWS error code table", () => {
  it("has exactly the doc's codes", () => {
    expect(
      Object.keys(IWS_ERROR_CODES)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(DOC_ERROR_ROWS.map((r) => r[0]));
  });

  it.each(DOC_ERROR_ROWS)("code %i %s (HTTP %i) maps to %s (%s, caused by %s)", (code, name, httpStatus, expected, type, cause) => {
    const row = iwsCodeRow(code);
    expect(row).not.toBeNull();
    expect(row!.name).toBe(name);
    expect(row!.httpStatus).toBe(httpStatus);
    expect(row!.reason).toBe(expected);
    expect(row!.type).toBe(type);
    expect(row!.cause).toBe(cause);
    // a technical row is never a user-facing reason, a decision row never a technical one
    expect(row!.reason.startsWith("vendor_")).toBe(type === "technical");
  });

  it.each(DOC_ERROR_ROWS)("classify: code %i %s at HTTP %i and at HTTP 200 -> %s", (code, name, httpStatus, expected, type) => {
    for (const status of [httpStatus, 200]) {
      const err = classifyIws("process")(response(status, { code, message: name, refid: "W-face-process-x-1" }));
      if (type === "decision") expect(err).toBeNull();
      else {
        expect(err).toBeInstanceOf(VendorError);
        expect(err!.toReason().code).toBe(expected);
        expect(err!.toReason().vendorCode).toBe(String(code));
        expect(err!.message).toContain(name);
      }
    }
  });

  it("retries only the server's internal error", () => {
    expect(classifyIws("process")(response(500, { code: 500 }))!.retryable).toBe(true);
    expect(classifyIws("process")(response(400, { code: 501 }))!.retryable).toBe(false);
    expect(classifyIws("process")(response(400, { code: 505 }))!.retryable).toBe(false);
  });

  it("an undocumented code is kept as vendor_error with its code", () => {
    const err = classifyIws("process")(response(400, { code: 777, message: "SOMETHING_NEW" }));
    expect(err!.toReason()).toMatchObject({ code: "vendor_error", category: "technical", vendorCode: "777" });
    expect(iwsCodeRow(777)).toBeNull();
  });

  it("reads the /face/as family's numeric `error` as the code", () => {
    expect(classifyIws("face_as")(response(200, { error: 505, is_spoof: false }))!.toReason().code).toBe("vendor_rejected_request");
    expect(classifyIws("face_as")(response(200, { error: 0, is_spoof: false }))).toBeNull();
  });

  it("without a code the HTTP status decides (default classification)", () => {
    expect(classifyIws("process")(response(503, { error: "injected fault" }))!.kind).toBe("unavailable");
    expect(classifyIws("process")(response(429, "too many"))!.kind).toBe("rate_limited");
    expect(classifyIws("process")(response(200, '{"truncated": '))).toBeNull();
    // a 5xx that claims code 200 is still a server failure
    expect(classifyIws("process")(response(502, { code: 200 }))!.kind).toBe("unavailable");
  });
});

describe("spoof feedback names (401)", () => {
  it.each([
    ["FEEDBACK_RETRY", "liveness_failed"],
    ["FEEDBACK_RETRY_INSECURE", "liveness_failed"],
    ["FEEDBACK_RETRY_QUALITY", "image_low_quality"],
  ])("%s -> %s", (feedback, expected) => {
    expect(IWS_RETRY_FEEDBACK[feedback as keyof typeof IWS_RETRY_FEEDBACK]).toBe(expected);
    expect(retryFeedbackReason(feedback)).toBe(expected);
  });

  it("covers every row, and an unknown feedback on a 401 is the 401 row", () => {
    expect(Object.keys(IWS_RETRY_FEEDBACK).sort()).toEqual(["FEEDBACK_RETRY", "FEEDBACK_RETRY_INSECURE", "FEEDBACK_RETRY_QUALITY"]);
    expect(retryFeedbackReason("FEEDBACK_SOMETHING_ELSE")).toBe("liveness_failed");
  });
});

describe("liveness levels", () => {
  // the doc: "LOW | MEDIUM | MODERATE | BALANCED_HIGH | HIGH | BALANCED_VERY_HIGH | VERY_HIGH | HIGHEST"
  const DOC_ORDER = ["LOW", "MEDIUM", "MODERATE", "BALANCED_HIGH", "HIGH", "BALANCED_VERY_HIGH", "VERY_HIGH", "HIGHEST"];

  it.each([
    ["LOW", 1],
    ["MEDIUM", 2],
    ["MODERATE", 3],
    ["BALANCED_HIGH", 4],
    ["HIGH", 5],
    ["BALANCED_VERY_HIGH", 6],
    ["VERY_HIGH", 7],
    ["HIGHEST", 8],
  ])("%s has rank %i", (level, rank) => {
    expect(LIVENESS_LEVEL_RANK[level as keyof typeof LIVENESS_LEVEL_RANK]).toBe(rank);
  });

  it("orders levels exactly as the doc lists them", () => {
    expect([...LIVENESS_LEVELS]).toEqual(DOC_ORDER);
    const sorted = [...DOC_ORDER].sort((a, b) => LIVENESS_LEVEL_RANK[a as "LOW"] - LIVENESS_LEVEL_RANK[b as "LOW"]);
    expect(sorted).toEqual(DOC_ORDER);
  });

  it("defaults to the doc's recommended BALANCED_VERY_HIGH and match level HIGH", () => {
    expect(DEFAULT_LIVENESS_LEVEL).toBe("BALANCED_VERY_HIGH");
    expect(DEFAULT_MATCH_LEVEL).toBe("HIGH");
  });
});

describe("match levels", () => {
  it.each([
    ["NONE", 0],
    ["LOW", 1],
    ["MEDIUM", 2],
    ["HIGH", 3],
    ["VERY_HIGH", 4],
    ["HIGHEST", 5],
  ])("%s has rank %i", (level, rank) => {
    expect(MATCH_LEVEL_RANK[level as keyof typeof MATCH_LEVEL_RANK]).toBe(rank);
  });

  // /matchWithSelfie: "similarity: 100 98 95 90 80 working-point: HIGHEST VERY_HIGH HIGH MEDIUM"
  it.each([
    ["MEDIUM", 80],
    ["HIGH", 90],
    ["VERY_HIGH", 95],
    ["HIGHEST", 98],
  ])("selfie vs selfie working point %s = %i", (level, similarity) => {
    expect(SELFIE_VS_SELFIE_SIMILARITY[level as keyof typeof SELFIE_VS_SELFIE_SIMILARITY]).toBe(similarity);
  });

  // /matchWithPictureId: "Similarity: 100 90 85 80 60 working-point: HIGHEST VERY_HIGH HIGH MEDIUM"
  it.each([
    ["MEDIUM", 60],
    ["HIGH", 80],
    ["VERY_HIGH", 85],
    ["HIGHEST", 90],
  ])("selfie vs picture ID working point %s = %i", (level, similarity) => {
    expect(SELFIE_VS_PICTURE_ID_SIMILARITY[level as keyof typeof SELFIE_VS_PICTURE_ID_SIMILARITY]).toBe(similarity);
  });
});

describe("template formats", () => {
  it.each([
    ["image/jpeg", "JPEG"],
    ["image/jpg", "JPEG"],
    ["image/png", "PNG"],
  ])("%s -> %s", (ct, format) => {
    expect(TEMPLATE_FORMAT_BY_CONTENT_TYPE[ct as keyof typeof TEMPLATE_FORMAT_BY_CONTENT_TYPE]).toBe(format);
    expect(templateFormatOf(`${ct.toUpperCase()}; charset=binary`)).toBe(format);
  });

  it("refuses what the IWS cannot take", () => {
    expect(templateFormatOf("image/webp")).toBeNull();
    expect(templateFormatOf("application/pdf")).toBeNull();
  });
});
