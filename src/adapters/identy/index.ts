// IDENTY Web Server (IWS v6) adapter: self-hosted face liveness and face matching, synchronous.
//
// Flow choice (blob = input.faceCapture.identyBlob from the Face Web SDK, portrait = input.document.images[0]):
//
//   blob | selfie | portrait | checks                 | IWS calls
//   -----+--------+----------+------------------------+-----------------------------------------------------------
//    no  |   no   |    *     | liveness and/or match  | none: awaiting_user, nextAction identy_capture (SDK proxy link)
//   yes  |   *    |   yes    | face_match (+liveness) | /verifyWithPictureId (liveness then match, one call), or with
//        |        |          |                        |   settings.blobMatchFlow "process_then_match": /process + /matchWithPictureId
//   yes  |  yes   |    no    | face_match (+liveness) | /process, then /matchWithSelfie (captured template vs the selfie)
//   yes  |   *    |    *     | liveness only          | /process (or /secure/face/as: settings.blobLivenessEndpoint)
//    no  |  yes   |   yes    | liveness + face_match  | /face/as on the selfie, then /matchWithPictureId (skipped on a spoof)
//    no  |  yes   |    *     | liveness only          | /face/as on the selfie (threshold = settings.livenessLevel)
//    no  |  yes   |   yes    | face_match only        | /matchWithPictureId (selfie vs portrait)
//   face_match with neither a portrait nor (blob and selfie), a "document" check, or no check: refused by validateRequest.
import sharp from "sharp";
import { decide, uniqueReasons } from "../../core/decide.js";
import { VendorError } from "../../core/errors.js";
import { reason, type Checks, type Reason } from "../../core/model.js";
import type { AdapterAccount, AdapterContext, AdapterVerification, HealthResult, Outcome, RequestProblem, VendorAdapter, VerificationInputData } from "../types.js";
import type { CheckName } from "../../core/model.js";
import {
  getFaceHealth,
  postFaceAs,
  postMatchWithPictureId,
  postMatchWithSelfie,
  postProcess,
  postSecureFaceAs,
  postVerifyWithPictureId,
  type IwsCallContext,
  type TemplateRef,
} from "./client.js";
import { faceMatchFrom, fromDecisionCode, livenessFromAs, livenessFromLevel, multipleFacesReason } from "./evaluate.js";
import { SELFIE_VS_PICTURE_ID_SIMILARITY, SELFIE_VS_SELFIE_SIMILARITY, templateFormatOf } from "./mapping.js";
import {
  AsResponseSchema,
  IdentyCredentialsSchema,
  IdentySettingsSchema,
  MatchResponseSchema,
  ProcessSuccessSchema,
  type IdentyCredentials,
  type IdentySettings,
} from "./schemas.js";
import { signSdkProxyToken } from "./sdk-proxy.js";
import { openTemplates } from "./templates.js";

export const IDENTY_DEFAULT_BASE_URL = "http://localhost:8080";
export const SDK_PROXY_KEY_PURPOSE = "identy-sdk-proxy";

export type IdentyFlow =
  | { kind: "await_capture" }
  | { kind: "blob_liveness"; endpoint: "process" | "secure_face_as" }
  | { kind: "blob_verify_picture_id" }
  | { kind: "blob_process_match"; against: "picture_id" | "selfie" }
  | { kind: "image_liveness"; thenMatch: boolean }
  | { kind: "image_match_picture_id" };

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function wants(checks: CheckName[]) {
  return { liveness: checks.includes("liveness"), faceMatch: checks.includes("face_match") };
}

export function validateIdentyRequest(input: VerificationInputData, checks: CheckName[]): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const w = wants(checks);
  if (checks.includes("document")) problems.push({ path: "checks", message: "IDENTY checks liveness and face match, not documents", status: 422 });
  if (!w.liveness && !w.faceMatch) problems.push({ path: "checks", message: "IDENTY needs a liveness or face_match check", status: 422 });
  const blob = input.faceCapture?.identyBlob;
  if (blob !== undefined && (blob.replace(/\s+/g, "").length === 0 || !BASE64.test(blob.replace(/\s+/g, ""))))
    problems.push({ path: "faceCapture.identyBlob", message: "must be the base64 BLOB returned by the IDENTY Face Web SDK capture()", status: 400 });
  if (input.selfie && !templateFormatOf(input.selfie.contentType))
    problems.push({ path: "selfie", message: "IDENTY takes JPEG or PNG images", status: 415 });
  const portrait = input.document?.images[0];
  if (w.faceMatch && portrait && !templateFormatOf(portrait.contentType))
    problems.push({ path: "document.images[0]", message: "IDENTY takes JPEG or PNG images", status: 415 });
  if (w.faceMatch && !portrait && !(blob && input.selfie))
    problems.push({ path: "document.images", message: "face_match needs the document portrait (document.images[0]), or a selfie beside faceCapture", status: 422 });
  return problems;
}

export function chooseFlow(checks: CheckName[], input: VerificationInputData, settings: IdentySettings): IdentyFlow {
  const w = wants(checks);
  const blob = Boolean(input.faceCapture?.identyBlob);
  const selfie = Boolean(input.selfie);
  const portrait = Boolean(input.document?.images[0]);
  if (!blob && !selfie) return { kind: "await_capture" };
  if (blob) {
    if (w.faceMatch && portrait)
      return settings.blobMatchFlow === "process_then_match" ? { kind: "blob_process_match", against: "picture_id" } : { kind: "blob_verify_picture_id" };
    if (w.faceMatch && selfie) return { kind: "blob_process_match", against: "selfie" };
    return { kind: "blob_liveness", endpoint: settings.blobLivenessEndpoint };
  }
  if (w.liveness) return { kind: "image_liveness", thenMatch: w.faceMatch && portrait };
  return { kind: "image_match_picture_id" };
}

function completed(checks: Checks, reasons: Reason[], vendorReference: string | null): Outcome {
  const unique = uniqueReasons(reasons);
  return { status: "completed", decision: decide(checks, unique), reasons: unique, checks, vendorReference };
}

function imageRef(img: { contentType: string; data: Buffer }): TemplateRef {
  // validateRequest guarantees JPEG or PNG
  return { template: img.data.toString("base64"), format: templateFormatOf(img.contentType) ?? "JPEG" };
}

/**
 * The selfie as a match endpoint's `image.template`: "640 x 480 base64 encoded selfie ... (No cropped
 * and no padding)", else "ERROR_WRONG_RESOLUTION, Code: 901 — Passed image isn't 480x640". The gateway
 * sends what the IWS asks (480 wide, 640 high, as the /process sample's selfie): scaled to cover the
 * frame and centred, never padded. Bytes sharp cannot read are sent as they are (the IWS answers for them).
 */
export async function selfieTemplate(img: { contentType: string; data: Buffer }): Promise<TemplateRef> {
  try {
    const meta = await sharp(img.data).metadata();
    if (meta.width === IWS_SELFIE.width && meta.height === IWS_SELFIE.height) return imageRef(img);
    const resized = await sharp(img.data).rotate().resize(IWS_SELFIE.width, IWS_SELFIE.height, { fit: "cover", position: "centre" }).jpeg({ quality: 92 }).toBuffer();
    return { template: resized.toString("base64"), format: "JPEG" };
  } catch {
    return imageRef(img);
  }
}
const IWS_SELFIE = { width: 480, height: 640 } as const;

function awaitCapture(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext, settings: IdentySettings): Outcome {
  const expiresAt = new Date(ctx.now().getTime() + settings.captureTtlSeconds * 1000);
  const token = signSdkProxyToken({ verificationId: v.id, accountId: account.id, expiresAt }, ctx.deriveKey(SDK_PROXY_KEY_PURPOSE));
  return {
    status: "awaiting_user",
    nextAction: { type: "identy_capture", sdkBaseUrl: `${ctx.publicBaseUrl.replace(/\/+$/, "")}/sdk/identy/${token}`, expiresAt: expiresAt.toISOString() },
    expiresAt,
    step: "identy_capture",
  };
}

async function blobLiveness(c: IwsCallContext, blob: Buffer, endpoint: "process" | "secure_face_as", v: AdapterVerification, creds: IdentyCredentials): Promise<Outcome> {
  const w = wants(v.checks);
  if (endpoint === "secure_face_as") {
    const a = await postSecureFaceAs(c, blob, AsResponseSchema);
    if (a.type === "code") {
      const r = fromDecisionCode(a.row, a.code, a.envelope, w);
      return completed(r.checks, r.reasons, a.envelope.refid ?? null);
    }
    const l = livenessFromAs(a.body, c.settings.livenessLevel);
    return completed({ liveness: l.check }, l.reasons, a.body.refid ?? null);
  }
  const p = await processBlob(c, blob, creds);
  if (p.type === "decided") return completed(p.checks, p.reasons, p.refid);
  return completed({ liveness: p.liveness.check }, p.reasons, p.refid);
}

type ProcessResult =
  | { type: "decided"; checks: Checks; reasons: Reason[]; refid: string | null }
  | { type: "evaluated"; liveness: ReturnType<typeof livenessFromLevel>; reasons: Reason[]; refid: string | null; templates: Map<string, Buffer> };

async function processBlob(c: IwsCallContext, blob: Buffer, creds: IdentyCredentials, alsoMatch = false): Promise<ProcessResult> {
  const p = await postProcess(c, blob, ProcessSuccessSchema);
  if (p.type === "code") {
    const r = fromDecisionCode(p.row, p.code, p.envelope, { liveness: true, faceMatch: alsoMatch });
    return { type: "decided", checks: r.checks, reasons: r.reasons, refid: p.envelope.refid ?? null };
  }
  const body = p.body;
  const refid = body.refid ?? null;
  const liveness = livenessFromLevel(body.data.as_highest_security_level_reached, c.settings.livenessLevel, refid);
  const opened = openTemplates(body.data.templates, body.data.encrypted_templates, creds.templatePrivateKey);
  if (opened.info.length > 0) {
    // sizes and formats only: never the template bytes
    c.ctx.recordPayload("identy.templates", { refid, templates: opened.info });
    c.ctx.log.info({ vendor: "identy", refid, templates: opened.info }, "identy templates received");
  }
  const reasons = [...liveness.reasons, ...multipleFacesReason(body.icao_data?.multiple_faces, c.settings.multipleFaces, refid)];
  // "qc_passed: true if the image quality is good, and false if it is not": a capture to retake, whatever its liveness
  if (body.data.quality?.qc_passed === false) reasons.push(reason("image_low_quality", "identy", "qc_passed=false", `the capture did not pass the quality check${refid ? ` (refid ${refid})` : ""}`));
  return { type: "evaluated", liveness, reasons, refid, templates: opened.bytes };
}

async function blobProcessMatch(c: IwsCallContext, blob: Buffer, against: "picture_id" | "selfie", v: AdapterVerification, creds: IdentyCredentials): Promise<Outcome> {
  const p = await processBlob(c, blob, creds, true);
  if (p.type === "decided") return completed(p.checks, p.reasons, p.refid);
  const checks: Checks = { liveness: p.liveness.check };
  if (p.liveness.check.outcome !== "pass") {
    // no match call for a capture that is not live: the IWS does a few requests per second
    checks.faceMatch = { outcome: "not_performed", similarity: null, threshold: null };
    return completed(checks, p.reasons, p.refid);
  }
  const format = p.templates.has("JPEG") ? "JPEG" : p.templates.has("PNG") ? "PNG" : null;
  if (!format)
    throw new VendorError({
      kind: "feature_disabled",
      vendor: "identy",
      endpoint: "process",
      retryable: false,
      message: "the /process answer holds no readable JPEG or PNG template to match (template encryption without templatePrivateKey?)",
    });
  const probe: TemplateRef = { template: p.templates.get(format)!.toString("base64"), format };
  const reference = against === "selfie" ? imageRef(v.input.selfie!) : imageRef(v.input.document!.images[0]!);
  const m =
    against === "selfie"
      ? await postMatchWithSelfie(c, probe, reference, c.settings.matchLevel, MatchResponseSchema)
      : await postMatchWithPictureId(c, probe, reference, c.settings.matchLevel, MatchResponseSchema);
  if (m.type === "code") {
    const r = fromDecisionCode(m.row, m.code, m.envelope, { liveness: false, faceMatch: true });
    return completed({ ...checks, ...r.checks }, [...p.reasons, ...r.reasons], p.refid);
  }
  const fm = faceMatchFrom(m.body, c.settings.matchLevel, against === "selfie" ? SELFIE_VS_SELFIE_SIMILARITY : SELFIE_VS_PICTURE_ID_SIMILARITY, c.settings.multipleFaces);
  return completed({ ...checks, faceMatch: fm.check }, [...p.reasons, ...fm.reasons], p.refid);
}

async function blobVerifyPictureId(c: IwsCallContext, blob: Buffer, v: AdapterVerification): Promise<Outcome> {
  const portrait = imageRef(v.input.document!.images[0]!);
  const r = await postVerifyWithPictureId(c, blob, { base64: portrait.template, format: portrait.format }, c.settings.matchLevel, MatchResponseSchema);
  if (r.type === "code") {
    const d = fromDecisionCode(r.row, r.code, r.envelope, { liveness: true, faceMatch: true });
    return completed(d.checks, d.reasons, r.envelope.refid ?? null);
  }
  const body = r.body;
  // The doc: the answer "is identical to ... the /matchWithPictureId endpoint for captures that are deemed
  // legitimate", which carries no liveness level. A legitimate capture passed liveness at the SDK's
  // asThreshold; the level is checked against ours only when the IWS sends it.
  const liveness =
    body.as_highest_security_level_reached !== undefined
      ? livenessFromLevel(body.as_highest_security_level_reached, c.settings.livenessLevel, body.refid)
      : { check: { outcome: "pass" as const, score: null, level: null }, reasons: [] };
  const fm = faceMatchFrom(body, c.settings.matchLevel, SELFIE_VS_PICTURE_ID_SIMILARITY, c.settings.multipleFaces);
  return completed({ liveness: liveness.check, faceMatch: fm.check }, [...liveness.reasons, ...fm.reasons], body.refid ?? null);
}

async function imageLiveness(c: IwsCallContext, v: AdapterVerification, thenMatch: boolean): Promise<Outcome> {
  const selfie = await selfieTemplate(v.input.selfie!);
  const a = await postFaceAs(c, selfie.template, c.settings.livenessLevel, AsResponseSchema);
  if (a.type === "code") {
    const r = fromDecisionCode(a.row, a.code, a.envelope, { liveness: true, faceMatch: thenMatch });
    return completed(r.checks, r.reasons, a.envelope.refid ?? null);
  }
  const l = livenessFromAs(a.body, c.settings.livenessLevel);
  const refid = a.body.refid ?? null;
  if (!thenMatch) return completed({ liveness: l.check }, l.reasons, refid);
  if (l.check.outcome !== "pass")
    return completed({ liveness: l.check, faceMatch: { outcome: "not_performed", similarity: null, threshold: null } }, l.reasons, refid);
  const m = await postMatchWithPictureId(c, selfie, imageRef(v.input.document!.images[0]!), c.settings.matchLevel, MatchResponseSchema);
  if (m.type === "code") {
    const r = fromDecisionCode(m.row, m.code, m.envelope, { liveness: false, faceMatch: true });
    return completed({ liveness: l.check, ...r.checks }, [...l.reasons, ...r.reasons], refid);
  }
  const fm = faceMatchFrom(m.body, c.settings.matchLevel, SELFIE_VS_PICTURE_ID_SIMILARITY, c.settings.multipleFaces);
  return completed({ liveness: l.check, faceMatch: fm.check }, [...l.reasons, ...fm.reasons], refid);
}

async function imageMatchPictureId(c: IwsCallContext, v: AdapterVerification): Promise<Outcome> {
  const m = await postMatchWithPictureId(c, await selfieTemplate(v.input.selfie!), imageRef(v.input.document!.images[0]!), c.settings.matchLevel, MatchResponseSchema);
  if (m.type === "code") {
    const r = fromDecisionCode(m.row, m.code, m.envelope, { liveness: false, faceMatch: true });
    return completed(r.checks, r.reasons, m.envelope.refid ?? null);
  }
  const fm = faceMatchFrom(m.body, c.settings.matchLevel, SELFIE_VS_PICTURE_ID_SIMILARITY, c.settings.multipleFaces);
  return completed({ faceMatch: fm.check }, fm.reasons, m.body.refid ?? null);
}

function callContext(v: AdapterVerification | null, account: AdapterAccount, ctx: AdapterContext, settings: IdentySettings): IwsCallContext {
  return { ctx, baseUrl: account.baseUrl || IDENTY_DEFAULT_BASE_URL, settings, requestId: v?.id ?? `health-${account.id}` };
}

async function start(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<Outcome> {
  const settings = IdentySettingsSchema.parse(account.settings ?? {});
  const creds = IdentyCredentialsSchema.parse(account.credentials ?? {});
  const problems = validateIdentyRequest(v.input, v.checks);
  if (problems.length > 0)
    throw new VendorError({
      kind: "rejected",
      vendor: "identy",
      retryable: false,
      message: `request not supported by IDENTY: ${problems.map((p) => p.path).join(", ")}`,
    });
  const flow = chooseFlow(v.checks, v.input, settings);
  const c = callContext(v, account, ctx, settings);
  const blob = v.input.faceCapture ? Buffer.from(v.input.faceCapture.identyBlob.replace(/\s+/g, ""), "base64") : null;
  switch (flow.kind) {
    case "await_capture":
      return awaitCapture(v, account, ctx, settings);
    case "blob_liveness":
      return blobLiveness(c, blob!, flow.endpoint, v, creds);
    case "blob_verify_picture_id":
      return blobVerifyPictureId(c, blob!, v);
    case "blob_process_match":
      return blobProcessMatch(c, blob!, flow.against, v, creds);
    case "image_liveness":
      return imageLiveness(c, v, flow.thenMatch);
    case "image_match_picture_id":
      return imageMatchPictureId(c, v);
  }
}

async function health(account: AdapterAccount, ctx: AdapterContext): Promise<HealthResult> {
  const settings = IdentySettingsSchema.parse(account.settings ?? {});
  try {
    // the doc: "invoking the face_health API to get back the OK response"
    const r = await getFaceHealth(callContext(null, account, ctx, settings));
    const ok = /\bOK\b/i.test(r.text);
    return { ok, detail: ok ? "face_health OK" : `face_health answered ${r.status} without OK` };
  } catch (e) {
    return { ok: false, detail: e instanceof VendorError ? e.message : "face_health call failed" };
  }
}

export const identyAdapter: VendorAdapter = {
  vendor: "identy",
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "identy-2026.12.2",
  capabilities: { document: false, liveness: true, faceMatch: true, hosted: false, webhooks: false, polling: false },
  defaultBaseUrl: IDENTY_DEFAULT_BASE_URL,
  credentials: { parse: (x) => IdentyCredentialsSchema.parse(x ?? {}), secretKeys: ["templatePrivateKey"] },
  settings: { parse: (x) => IdentySettingsSchema.parse(x ?? {}) },
  validateRequest: (input, checks) => validateIdentyRequest(input, checks),
  start,
  health,
  // "The IDENTY Web Server does not save any information related with the processed image."
  erase: async () => ({ ok: true, detail: "the IDENTY Web Server keeps no copy of processed images (nothing to delete)" }),
};

export { IdentyCredentialsSchema, IdentySettingsSchema } from "./schemas.js";
export { createIdentySdkProxyRouter, signSdkProxyToken, verifySdkProxyToken } from "./sdk-proxy.js";
