// DMS IDVerifr + LiveVerifr: synchronous. Which calls happen depends on the checks asked for:
//   document   -> idcard_recognition_base64 (one image) or idcard_recognition_base64_multi_page (front+back)
//   liveness   -> face_detection of the selfie
//   face_match -> the document call (for its Portrait), template_extraction of the Portrait,
//                 the selfie's template (from face_detection when it ran, else template_extraction),
//                 then face_verify {template_a: portrait, template_b: selfie}
// DMS has no session id: vendorReference stays null.
import { decide, uniqueReasons } from "../../core/decide.js";
import { reason, type Checks, type Reason } from "../../core/model.js";
import type { AdapterAccount, AdapterContext, AdapterVerification, ImageInput, Outcome, RequestProblem, StoredVendorPayload, VendorAdapter, VerificationInputData } from "../types.js";
import { DMS_DEFAULT_BASE_URL, DmsClient, ENDPOINTS, readCredentials, readSettings, type DmsAnswer, type ImagePart } from "./client.js";
import {
  evaluateDocument,
  evaluateFaceVerify,
  evaluateLiveness,
  faceMatchFailed,
  findingReason,
  templateFinding,
  type DocumentEvaluation,
  type FaceFinding,
  type FaceMatchEvaluation,
} from "./evaluate.js";
import { UNPROCESSABLE_MAP } from "./mapping.js";
import { DmsCredentialsSchema, DmsDocumentResponseSchema, DmsFaceDetectionResponseSchema, DmsFaceVerifyResponseSchema, DmsSettingsSchema, DmsTemplateResponseSchema } from "./schemas.js";
import type { ZodType } from "zod";
import { authenticateWebhook, parseWebhook } from "./webhooks.js";

const SIDE_ORDER = { front: 0, single: 1, back: 2 } as const;

/** front first, back last; images without a side keep their order in between */
export function orderPages(images: ImageInput[]): ImageInput[] {
  return images
    .map((img, i) => ({ img, i }))
    .sort((a, b) => SIDE_ORDER[a.img.side ?? "single"] - SIDE_ORDER[b.img.side ?? "single"] || a.i - b.i)
    .map((x) => x.img);
}

function extensionOf(contentType: string): string {
  const t = contentType.toLowerCase();
  if (t.includes("png")) return "png";
  if (t.includes("webp")) return "webp";
  return "jpg";
}

function selfiePart(selfie: ImageInput): ImagePart {
  return { data: selfie.data, contentType: selfie.contentType, filename: `selfie.${extensionOf(selfie.contentType)}` };
}

export function validateRequest(input: VerificationInputData, checks: AdapterVerification["checks"]): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const images = input.document?.images ?? [];
  const needsDocument = checks.includes("document") || checks.includes("face_match");
  const needsSelfie = checks.includes("liveness") || checks.includes("face_match");
  if (needsDocument && images.length === 0)
    problems.push({ path: "document.images", message: "DMS needs a document image for the document and face_match checks", status: 422 });
  if (images.length > 2)
    problems.push({ path: "document.images[2]", message: "DMS takes at most two document images (front and back)", status: 422 });
  if (images.length === 2 && images[0]?.side && images[0].side !== "single" && images[0].side === images[1]?.side)
    problems.push({ path: "document.images[1].side", message: "two document images must be a front and a back", status: 422 });
  if (needsSelfie && !input.selfie) problems.push({ path: "selfie", message: "DMS needs a selfie for the liveness and face_match checks", status: 422 });
  return problems;
}

/** the document answer, or the reason there is none (DMS's 422: no document in the image) */
type DocumentStep = { ok: true; evaluation: DocumentEvaluation } | { ok: false; reason: Reason };

async function runDocument(client: DmsClient, images: ImageInput[], ctx: AdapterContext): Promise<DocumentStep> {
  const pages = orderPages(images).map((i) => i.data);
  const answer = pages.length === 1 && pages[0] ? await client.recognizeDocument(pages[0]) : await client.recognizeDocumentPages(pages);
  if (answer.kind === "unprocessable")
    return { ok: false, reason: reason(UNPROCESSABLE_MAP.document.code, "dms", 422, UNPROCESSABLE_MAP.document.message) };
  return { ok: true, evaluation: evaluateDocument(answer.body, ctx.now()) };
}

function addDocumentCheck(doc: DocumentStep, checks: Checks, reasons: Reason[]): void {
  if (doc.ok) {
    checks.document = doc.evaluation.check;
    reasons.push(...doc.evaluation.reasons);
  } else {
    checks.document = { outcome: "fail", type: null, country: null, fields: {} };
    reasons.push(doc.reason);
  }
}

async function runFaceMatch(client: DmsClient, doc: DocumentStep, selfie: ImageInput, selfieFace: FaceFinding | null): Promise<FaceMatchEvaluation> {
  if (!doc.ok) return faceMatchFailed(doc.reason);
  if (!doc.evaluation.portrait) return faceMatchFailed(reason("no_face_detected", "dms", "Portrait", "the document answer carries no portrait"));
  // a selfie face_detection already rejected (no face, several faces) is not sent again
  if (selfieFace && !selfieFace.ok) return faceMatchFailed(findingReason(selfieFace, "selfie"));

  const portrait = templateFinding(
    await client.extractTemplate({ data: doc.evaluation.portrait, contentType: "image/jpeg", filename: "portrait.jpg" }),
    ENDPOINTS.templateExtraction,
  );
  if (!portrait.ok) return faceMatchFailed(findingReason(portrait, "document portrait"));

  // face_detection returns "a 2048-byte biometric template — all in one call": no second scan of the selfie
  let selfieTemplate = selfieFace?.ok ? selfieFace.template : null;
  if (!selfieTemplate) {
    const extracted = templateFinding(await client.extractTemplate(selfiePart(selfie)), ENDPOINTS.templateExtraction);
    if (!extracted.ok) return faceMatchFailed(findingReason(extracted, "selfie"));
    selfieTemplate = extracted.template;
  }
  return evaluateFaceVerify(await client.verifyFaces(portrait.template ?? "", selfieTemplate ?? ""));
}

async function start(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<Outcome> {
  const credentials = readCredentials(account);
  const settings = readSettings(account);
  const problems = validateRequest(v.input, v.checks);
  if (problems.length > 0)
    // normally refused with a 4xx before any vendor call; here only when the input was erased or changed since
    return { status: "failed", reasons: problems.map((p) => reason("vendor_rejected_request", "dms", null, `${p.path}: ${p.message}`)), vendorReference: null };

  const client = new DmsClient(account, credentials, settings, ctx);
  const wants = (c: AdapterVerification["checks"][number]) => v.checks.includes(c);
  const checks: Checks = {};
  const reasons: Reason[] = [];
  const selfie = v.input.selfie;

  let doc: DocumentStep | null = null;
  if (wants("document") || wants("face_match")) {
    doc = await runDocument(client, v.input.document?.images ?? [], ctx);
    if (wants("document")) addDocumentCheck(doc, checks, reasons);
  }

  let selfieFace: FaceFinding | null = null;
  if (wants("liveness") && selfie) {
    const liveness = evaluateLiveness(await client.detectFaces(selfiePart(selfie)), settings.minFaceQuality);
    checks.liveness = liveness.check;
    reasons.push(...liveness.reasons);
    selfieFace = liveness.face;
  }

  if (wants("face_match") && doc && selfie) {
    const match = await runFaceMatch(client, doc, selfie, selfieFace);
    checks.faceMatch = match.check;
    reasons.push(...match.reasons);
  }

  const unique = uniqueReasons(reasons);
  return { status: "completed", decision: decide(checks, unique), reasons: unique, checks, vendorReference: null };
}

/**
 * The outcome start() reached, from the answers it recorded (re-decision: no vendor call). Every
 * evaluation is the same pure function start() used; the face match is re-read from the recorded
 * face_verify answer (templates and the portrait are redacted, so a match that never reached
 * face_verify cannot be re-derived: null). minFaceQuality is the default: settings are not recorded.
 */
export function renormalizeDms(payloads: StoredVendorPayload[], v: AdapterVerification): Outcome | null {
  const last = (...kinds: string[]) => [...payloads].reverse().find((p) => kinds.includes(p.kind));
  const answer = <T>(p: StoredVendorPayload, schema: ZodType<T>): DmsAnswer<T> => {
    if ((p.body as { status?: unknown } | null)?.status === 422) return { kind: "unprocessable" };
    const parsed = schema.safeParse(p.body);
    return parsed.success ? { kind: "ok", body: parsed.data } : { kind: "unprocessable" };
  };
  const wants = (c: AdapterVerification["checks"][number]) => v.checks.includes(c);
  const checks: Checks = {};
  const reasons: Reason[] = [];
  let doc: DocumentStep | null = null;
  let portraitPresent = false;
  if (wants("document") || wants("face_match")) {
    const p = last(ENDPOINTS.document, ENDPOINTS.documentMultiPage);
    if (!p) return null;
    const portrait = (p.body as { Portrait?: unknown } | null)?.Portrait;
    portraitPresent = typeof portrait === "string" && portrait.length > 0;
    const a = answer(p, DmsDocumentResponseSchema);
    doc = a.kind === "ok" ? { ok: true, evaluation: evaluateDocument(a.body, p.receivedAt) } : { ok: false, reason: reason(UNPROCESSABLE_MAP.document.code, "dms", 422, UNPROCESSABLE_MAP.document.message) };
    if (wants("document")) addDocumentCheck(doc, checks, reasons);
  }
  let selfieFace: FaceFinding | null = null;
  if (wants("liveness")) {
    const p = last(ENDPOINTS.faceDetection);
    if (!p) return null;
    const liveness = evaluateLiveness(answer(p, DmsFaceDetectionResponseSchema), DmsSettingsSchema.parse({}).minFaceQuality);
    checks.liveness = liveness.check;
    reasons.push(...liveness.reasons);
    selfieFace = liveness.face;
  }
  if (wants("face_match") && doc) {
    const match = replayFaceMatch(doc, portraitPresent, selfieFace, payloads.filter((p) => p.kind === ENDPOINTS.templateExtraction), last(ENDPOINTS.faceVerify), answer);
    if (!match) return null;
    checks.faceMatch = match.check;
    reasons.push(...match.reasons);
  }
  const unique = uniqueReasons(reasons);
  return { status: "completed", decision: decide(checks, unique), reasons: unique, checks, vendorReference: null };
}

/** runFaceMatch's steps over the recorded answers (template_extraction: the portrait's first, then the selfie's). */
function replayFaceMatch(
  doc: DocumentStep,
  portraitPresent: boolean,
  selfieFace: FaceFinding | null,
  templates: StoredVendorPayload[],
  verify: StoredVendorPayload | undefined,
  answer: <T>(p: StoredVendorPayload, schema: ZodType<T>) => DmsAnswer<T>,
): FaceMatchEvaluation | null {
  if (!doc.ok) return faceMatchFailed(doc.reason);
  // the portrait itself is redacted in the record ("[redacted]"): its key still says whether there was one
  if (!portraitPresent) return faceMatchFailed(reason("no_face_detected", "dms", "Portrait", "the document answer carries no portrait"));
  if (selfieFace && !selfieFace.ok) return faceMatchFailed(findingReason(selfieFace, "selfie"));
  const [portraitP, selfieP] = templates;
  if (!portraitP) return null;
  const portrait = templateFinding(answer(portraitP, DmsTemplateResponseSchema), ENDPOINTS.templateExtraction);
  if (!portrait.ok) return faceMatchFailed(findingReason(portrait, "document portrait"));
  if (!selfieFace?.ok && selfieP) {
    const extracted = templateFinding(answer(selfieP, DmsTemplateResponseSchema), ENDPOINTS.templateExtraction);
    if (!extracted.ok) return faceMatchFailed(findingReason(extracted, "selfie"));
  }
  return verify ? evaluateFaceVerify(answer(verify, DmsFaceVerifyResponseSchema)) : null;
}

export const dmsAdapter: VendorAdapter = {
  vendor: "dms",
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "dms-2026.12.2",
  renormalize: renormalizeDms,
  capabilities: { document: true, liveness: true, faceMatch: true, hosted: false, webhooks: true, polling: false },
  defaultBaseUrl: DMS_DEFAULT_BASE_URL,
  credentials: { parse: (x) => DmsCredentialsSchema.parse(x), secretKeys: ["apiKey", "webhookSecrets"] },
  settings: { parse: (x) => DmsSettingsSchema.parse(x ?? {}) },
  validateRequest: (input, checks) => validateRequest(input, checks),
  start,
  authenticateWebhook,
  parseWebhook,
  async health(account, ctx) {
    try {
      const client = new DmsClient(account, readCredentials(account), readSettings(account), ctx);
      const s = await client.health();
      return { ok: true, detail: `IDVerifr ${s.idverifr}, LiveVerifr ${s.liveverifr}`, credits: null };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : "health check failed", credits: null };
    }
  },
};
