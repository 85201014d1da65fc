// IDENTY Web Server (IWS v6) adapter: self-hosted face liveness and face matching, synchronous.
//
// Flow choice (blob = input.faceCapture.identyBlob from the Face Web SDK, portrait = input.document.images[0]):
//
//   blob | selfie | portrait | checks                 | IWS calls
//   -----+--------+----------+------------------------+-----------------------------------------------------------
//    no  |   no   |    *     | liveness and/or match  | none: awaiting_user, nextAction identy_capture (SDK proxy link)
//   yes  |   *    |   yes    | face_match (+liveness) | /process (level checked) + /matchWithPictureId with the captured template,
//        |        |          |                        |   or with settings.blobMatchFlow "verifyWithPictureId": one call whose
//        |        |          |                        |   answer carries no liveness level (see livenessFromLegitimateMatch)
//   yes  |  yes   |    no    | face_match (+liveness) | /process, then /matchWithSelfie (captured template vs the selfie)
//   yes  |   *    |    *     | liveness only          | /process (never /secure/face/as: it takes the native Face SDK's BLOB)
//    no  |  yes   |   yes    | liveness + face_match  | /face/as on the selfie, then /matchWithPictureId (skipped on a spoof)
//    no  |  yes   |    *     | liveness only          | /face/as on the selfie (threshold = settings.livenessLevel)
//    no  |  yes   |   yes    | face_match only        | /matchWithPictureId (selfie vs portrait)
//   face_match with neither a portrait nor (blob and selfie), a "document" check, or no check: refused by validateRequest.
// A plain selfie sent to a match endpoint is first sized to 480x640 (client.ts sizeSelfieForMatch): the IWS answers 901 otherwise.
// The answers are read by outcome.ts, step by step, the same way renormalize() reads the recorded payloads.
import { isVendorError } from "../../domain/errors.js";
import { joinUrl } from "../kit/http.js";
import type { AccountOf } from "../kit/define.js";
import type { AdapterContext, AdapterVerification, HealthResult, Outcome, RequestProblem, StoredVendorPayload, VerificationInputData } from "../types.js";
import { defineAdapter } from "../kit/define.js";
import { manifest } from "./manifest.js";
import type { CheckName } from "../../domain/model.js";
import {
  getFaceHealth,
  postFaceAs,
  postMatchWithPictureId,
  postMatchWithSelfie,
  postProcess,
  postVerifyWithPictureId,
  openTemplates,
  templateFormatOf,
  sizeSelfieForMatch,
  type IwsCallContext,
  type IwsEndpoint,
  type TemplateRef,
} from "./client.js";
import {
  matchableFormat,
  nextStep,
  outcomeFromPayloads,
  REQUEST_KIND,
  TEMPLATES_KIND,
  type CallingFlow,
  type FlowAnswers,
  type IdentyFlow,
  type IdentyRequestRecord,
} from "./outcome.js";
import { ProcessSuccessSchema, type IdentyCredentials, type IdentySettings } from "./schemas.js";
import { createIdentySdkProxyRouter, signSdkProxyToken } from "./routes.js";

export const IDENTY_DEFAULT_BASE_URL = manifest.defaultBaseUrl;
type IdentyAccount = AccountOf<typeof manifest>;
export const SDK_PROXY_KEY_PURPOSE = "identy-sdk-proxy";
/** where the SDK proxy (routes.ts) is mounted on the gateway */
export const SDK_PROXY_PATH = "/sdk/identy";

export type { IdentyFlow };

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
  if (input.selfie && !templateFormatOf(input.selfie.contentType)) problems.push({ path: "selfie", message: "IDENTY takes JPEG or PNG images", status: 415 });
  const portrait = input.document?.images[0];
  if (w.faceMatch && portrait && !templateFormatOf(portrait.contentType))
    problems.push({ path: "document.images[0]", message: "IDENTY takes JPEG or PNG images", status: 415 });
  if (w.faceMatch && !portrait && !(blob && input.selfie))
    problems.push({
      path: "document.images",
      message: "face_match needs the document portrait (document.images[0]), or a selfie beside faceCapture",
      status: 422,
    });
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
      return settings.blobMatchFlow === "verifyWithPictureId" ? { kind: "blob_verify_picture_id" } : { kind: "blob_process_match", against: "picture_id" };
    if (w.faceMatch && selfie) return { kind: "blob_process_match", against: "selfie" };
    return { kind: "blob_liveness", endpoint: settings.blobLivenessEndpoint };
  }
  if (w.liveness) return { kind: "image_liveness", thenMatch: w.faceMatch && portrait };
  return { kind: "image_match_picture_id" };
}

function imageRef(img: { contentType: string; data: Buffer }): TemplateRef {
  // validateRequest guarantees JPEG or PNG
  return { template: img.data.toString("base64"), format: templateFormatOf(img.contentType) ?? "JPEG" };
}

/** The plain selfie as a match endpoint takes it: 480x640 (sizeSelfieForMatch), in its own format. */
async function selfieRef(c: IwsCallContext, img: { contentType: string; data: Buffer }): Promise<TemplateRef> {
  const format = templateFormatOf(img.contentType) ?? "JPEG";
  const sized = await sizeSelfieForMatch(img.data, format);
  // sizes only: never the image
  if (sized.resized) c.ctx.log.info({ vendor: "identy", requestId: c.requestId, bytes: img.data.length }, "identy selfie resized to 480x640 for matching");
  else if (sized.width === null)
    c.ctx.log.warn({ vendor: "identy", requestId: c.requestId }, "identy selfie could not be decoded for resizing; sent as received");
  return { template: sized.data.toString("base64"), format };
}

function awaitCapture(v: AdapterVerification, account: IdentyAccount, ctx: AdapterContext, settings: IdentySettings): Outcome {
  const expiresAt = new Date(ctx.now().getTime() + settings.captureTtlSeconds * 1000);
  const token = signSdkProxyToken({ verificationId: v.id, accountId: account.id, expiresAt }, ctx.deriveKey(SDK_PROXY_KEY_PURPOSE));
  return {
    status: "awaiting_user",
    nextAction: { type: "identy_capture", sdkBaseUrl: joinUrl(ctx.publicBaseUrl, SDK_PROXY_PATH, token), expiresAt: expiresAt.toISOString() },
    expiresAt,
    step: "identy_capture",
  };
}

/**
 * Runs a flow: outcome.ts says which endpoint comes next from the answers so far, this calls it. Records the
 * request (flow, checks, levels) first and which templates /process gave, so renormalize() can replay it.
 */
async function runFlow(c: IwsCallContext, v: AdapterVerification, flow: CallingFlow, creds: IdentyCredentials): Promise<Outcome> {
  const req: IdentyRequestRecord = {
    flow,
    checks: [...v.checks],
    livenessLevel: c.settings.livenessLevel,
    matchLevel: c.settings.matchLevel,
    multipleFaces: c.settings.multipleFaces,
  };
  c.ctx.recordPayload(REQUEST_KIND, req);
  const blob = v.input.faceCapture ? Buffer.from(v.input.faceCapture.identyBlob.replace(/\s+/g, ""), "base64") : null;
  const got: FlowAnswers = { answers: {} };
  let captured = new Map<string, Buffer>();
  for (;;) {
    const step = nextStep(req, got);
    if (step.type === "done") return step.outcome;
    if (step.type === "error") throw step.error;
    const raw = await callEndpoint(c, v, step.endpoint, blob, () => {
      const format = matchableFormat(got.templates?.opened);
      return { template: captured.get(format!)!.toString("base64"), format: format! };
    });
    got.answers[step.endpoint] = raw;
    if (step.endpoint === "process") {
      const p = ProcessSuccessSchema.safeParse(raw);
      if (p.success && p.data.code === 200) {
        const opened = openTemplates(p.data.data.templates, p.data.data.encrypted_templates, creds.templatePrivateKey);
        captured = opened.bytes;
        got.templates = { opened: opened.info };
        const refid = p.data.refid ?? null;
        // sizes and formats only: never the template bytes (and not under a key redaction removes)
        c.ctx.recordPayload(TEMPLATES_KIND, { refid, opened: opened.info });
        c.ctx.log.info({ vendor: "identy", refid, templates: opened.info }, "identy templates received");
      }
    }
  }
}

function callEndpoint(
  c: IwsCallContext,
  v: AdapterVerification,
  endpoint: IwsEndpoint,
  blob: Buffer | null,
  capturedTemplate: () => TemplateRef,
): Promise<unknown> {
  const portrait = () => imageRef(v.input.document!.images[0]!);
  const fromBlob = v.input.faceCapture !== undefined;
  switch (endpoint) {
    case "process":
      return postProcess(c, blob!);
    case "secure_face_as":
      // recorded flows of earlier mappings only (renormalize reads them): never called for a Web SDK BLOB
      throw new Error("secure/face/as takes the native Face SDK's BLOB, not the Face Web SDK's");
    case "verify_with_picture_id": {
      const p = portrait();
      return postVerifyWithPictureId(c, blob!, { base64: p.template, format: p.format }, c.settings.matchLevel);
    }
    case "face_as":
      return postFaceAs(c, v.input.selfie!.data.toString("base64"), c.settings.livenessLevel);
    case "match_with_picture_id":
      return (fromBlob ? Promise.resolve(capturedTemplate()) : selfieRef(c, v.input.selfie!)).then((probe) =>
        postMatchWithPictureId(c, probe, portrait(), c.settings.matchLevel),
      );
    case "match_with_selfie":
      return selfieRef(c, v.input.selfie!).then((reference) => postMatchWithSelfie(c, capturedTemplate(), reference, c.settings.matchLevel));
    case "face_health":
      throw new Error("face_health is not a flow step");
  }
}

function callContext(v: AdapterVerification | null, account: IdentyAccount, ctx: AdapterContext, settings: IdentySettings): IwsCallContext {
  return { ctx, baseUrl: account.baseUrl || IDENTY_DEFAULT_BASE_URL, settings, requestId: v?.id ?? `health-${account.id}` };
}

async function start(v: AdapterVerification, account: IdentyAccount, ctx: AdapterContext): Promise<Outcome> {
  const settings = account.settings;
  const creds = account.credentials;
  // the core checked the request with validateIdentyRequest before this start (core/request-guard.ts)
  const flow = chooseFlow(v.checks, v.input, settings);
  if (flow.kind === "await_capture") return awaitCapture(v, account, ctx, settings);
  return runFlow(callContext(v, account, ctx, settings), v, flow, creds);
}

/** The outcome of the last start, re-read from its recorded payloads with this mapping (no IWS call). */
function renormalize(payloads: StoredVendorPayload[], v: AdapterVerification): Outcome | null {
  return outcomeFromPayloads(payloads, v.checks);
}

async function health(account: IdentyAccount, ctx: AdapterContext): Promise<HealthResult> {
  try {
    const settings = account.settings;
    // the doc: "invoking the face_health API to get back the OK response"
    const r = await getFaceHealth(callContext(null, account, ctx, settings));
    const ok = /\bOK\b/i.test(r.text);
    return { ok, detail: ok ? "face_health OK" : `face_health answered ${r.status} without OK` };
  } catch (e) {
    return { ok: false, detail: isVendorError(e) ? e.message : "face_health call failed" };
  }
}

export const identyAdapter = defineAdapter({
  manifest,
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides);
  // 2026.12.3: /process spoof_score carried as spoofScore (not score), capture quality and ICAO signals carried
  mappingVersion: "identy-2026.12.3",
  validateRequest: (input, checks) => validateIdentyRequest(input, checks),
  start,
  renormalize,
  health,
  // "The IDENTY Web Server does not save any information related with the processed image."
  // "queue rather than overload": a BLOB whose answer was lost is not sent again unless the account allows it
  repeatsLostStart: (account) => account.settings.resendBlob,
  erase: async () => ({ ok: true, detail: "the IDENTY Web Server keeps no copy of processed images (nothing to delete)" }),
  // the Face Web SDK in the user's browser reaches the IWS's models, key and time through the gateway
  routes: [{ path: SDK_PROXY_PATH, name: "sdk-proxy", keyPurpose: SDK_PROXY_KEY_PURPOSE, router: (deps) => createIdentySdkProxyRouter(deps) }],
  // the BLOB the SDK's capture() gives the tenant's page, sent with POST /v1/verifications/:id/capture
  capture: { nextAction: "identy_capture" },
});

export { IdentyCredentialsSchema, IdentySettingsSchema, parseIdentySettings } from "./schemas.js";
export { createIdentySdkProxyRouter, signSdkProxyToken, verifySdkProxyToken } from "./routes.js";
