// ShareID photo-based document authenticity: synchronous, document only.
// Doc: ../shared/vendors/shareid-authenticity-photo.txt
import { imageSize } from "image-size";
import { toAlpha2 } from "../../domain/countries.js";
import { sniffImageType } from "../../domain/image-type.js";
import type { CheckName } from "../../domain/model.js";
import { defineAdapter } from "../kit/define.js";
import { parseAnswer } from "../kit/http.js";
import type { RequestProblem, VerificationInputData } from "../types.js";
import { buildForm, ENDPOINT, isAcceptedMime, normalizeMime, postAuthenticityPhoto } from "./client.js";
import { manifest } from "./manifest.js";
import { PIXEL_CHECK_BY_MIME } from "./mapping.js";
import { mapShareidResult, renormalizeShareid } from "./outcome.js";
import { parseLenientJson, ShareidResultSchema } from "./schemas.js";

// ---------- what ShareID cannot take, found before any vendor call (the doc's "Send a request" limits) ----------
// Messages name the problem and the JSON path only: never a name, a tag value or image bytes.

/** "You can send a maximum of 2 documents." */
export const MAX_FILES = 2;
/**
 * "The total limit of the upload (all photo/doc included) is set to 10MB." The doc does not say
 * whether MB is 10^6 or 2^20 bytes nor how much of the multipart envelope counts: the stricter
 * reading (10,000,000 bytes of files) keeps us under either.
 */
export const MAX_TOTAL_BYTES = 10_000_000;
/** "Low-resolution: 224px x 224px." */
export const MIN_SIDE_PX = 224;
/** "A tag must be match by this regular expression "^[a-z0-9_]{4,16}$"" */
export const TAG_PATTERN = /^[a-z0-9_]{4,16}$/;

/** Pixel size of a PNG/JPEG/WEBP, or null when the bytes cannot be read as an image. */
export function pixelSize(data: Buffer): { width: number; height: number } | null {
  try {
    const s = imageSize(data);
    if (typeof s.width !== "number" || typeof s.height !== "number") return null;
    // EXIF orientations 5-8 swap the sides; the minimum applies to both, so it does not matter here
    return { width: s.width, height: s.height };
  } catch {
    return null;
  }
}

export function validateShareidRequest(input: VerificationInputData, checks: CheckName[]): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const unsupported = checks.filter((c) => c !== "document");
  if (unsupported.length > 0)
    problems.push({ path: "checks", status: 422, message: `ShareID performs the document check only, not ${unsupported.join(", ")}` });

  const images = input.document?.images ?? [];
  if (!input.document) problems.push({ path: "document", status: 422, message: "ShareID needs a document with one or two images" });
  else if (images.length === 0) problems.push({ path: "document.images", status: 422, message: "ShareID needs one or two document images" });
  if (images.length > MAX_FILES)
    problems.push({ path: "document.images", status: 422, message: `ShareID takes at most ${MAX_FILES} document images (got ${images.length})` });
  const total = images.reduce((n, img) => n + (img.data?.length ?? 0), 0);
  if (total > MAX_TOTAL_BYTES)
    problems.push({ path: "document.images", status: 413, message: `ShareID takes at most ${MAX_TOTAL_BYTES} bytes of images in all (got ${total})` });

  images.forEach((img, i) => {
    const at = `document.images[${i}]`;
    const mime = normalizeMime(img.contentType ?? "");
    if (!isAcceptedMime(mime)) {
      problems.push({ path: `${at}.contentType`, status: 415, message: "ShareID accepts image/jpeg, image/png, image/webp or application/pdf only" });
      return;
    }
    if (!img.data || img.data.length === 0) {
      problems.push({ path: `${at}.data`, status: 422, message: "image is empty" });
      return;
    }
    const sniffed = sniffImageType(img.data);
    if (sniffed !== mime) {
      problems.push({ path: `${at}.data`, status: 415, message: `the bytes are ${sniffed ?? "not a supported type"}, not the declared ${mime}` });
      return;
    }
    if (!PIXEL_CHECK_BY_MIME[mime]) return;
    const size = pixelSize(img.data);
    if (!size) problems.push({ path: `${at}.data`, status: 422, message: "the image's pixel size cannot be read" });
    else if (size.width < MIN_SIDE_PX || size.height < MIN_SIDE_PX)
      problems.push({
        path: `${at}.data`,
        status: 422,
        message: `image is ${size.width}x${size.height} px, ShareID needs at least ${MIN_SIDE_PX}x${MIN_SIDE_PX}`,
      });
  });

  const country = input.document?.country;
  if (country !== undefined && country !== "" && toAlpha2(country) === null)
    problems.push({ path: "document.country", status: 400, message: "not an ISO 3166-1 country code" });

  (input.tags ?? []).forEach((tag, i) => {
    if (typeof tag !== "string" || !TAG_PATTERN.test(tag))
      problems.push({ path: `tags[${i}]`, status: 400, message: "a ShareID tag must match ^[a-z0-9_]{4,16}$" });
  });
  return problems;
}

export const shareidAdapter = defineAdapter({
  manifest,
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "shareid-2026.12.3",
  // the recorded answer (kind ENDPOINT) read again by the same mapShareidResult as start()
  renormalize: (payloads, v) => renormalizeShareid(payloads, v),

  validateRequest(input, checks) {
    return validateShareidRequest(input, checks);
  },

  // the core checked the request with validateRequest before this start (core/request-guard.ts)
  async start(v, account, ctx) {
    const res = await postAuthenticityPhoto(ctx, account, buildForm(v.input, account.credentials));
    const result = parseAnswer(res, {
      vendor: "shareid",
      endpoint: ENDPOINT,
      schema: ShareidResultSchema,
      // the doc's own samples are not all JSON: read leniently
      body: res.json ?? parseLenientJson(res.text),
      label: "ShareID",
      record: (body) => ctx.recordPayload(ENDPOINT, body),
      recordReceived: true,
    });
    const outcome = mapShareidResult(result, v.checks);
    // normalized codes only: an undocumented reason's vendorCode is ShareID's free text, which may name the person
    ctx.log.info(
      { vendor: "shareid", flowId: outcome.vendorReference, decision: outcome.decision, reasons: outcome.reasons.map((r) => r.code) },
      "shareid result",
    );
    return outcome;
  },
});
