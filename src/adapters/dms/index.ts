// DMS IDVerifr + LiveVerifr: synchronous. Which calls happen depends on the checks asked for:
//   document   -> idcard_recognition_base64 (one image) or idcard_recognition_base64_multi_page (front+back)
//   liveness   -> face_detection of the selfie
//   face_match -> the document call (for its Portrait), template_extraction of the Portrait,
//                 the selfie's template (from face_detection when it ran, else template_extraction),
//                 then face_verify {template_a: portrait, template_b: selfie}
// DMS has no session id: vendorReference stays null. Which call comes next and what the answers
// mean is one pure rule (outcome.ts `advance`), shared with renormalize over the recorded payloads.
import { sniffImageType } from "../../domain/image-type.js";
import type { AdapterContext, AdapterVerification, ImageInput, Outcome, RequestProblem, VerificationInputData } from "../types.js";
import { DmsClient, type DmsAccount, type ImagePart } from "./client.js";
import { advance, decodePortrait, renormalizeDms, REQUEST_KIND, type DmsRequestRecord, type DmsTranscript } from "./outcome.js";
import type { DmsDocumentResponse } from "./schemas.js";
import { manifest } from "./manifest.js";
import { defineAdapter } from "../kit/define.js";
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

/**
 * The document's "Portrait: Base64-encoded face crop from the document": the doc does not say in
 * which format, so its type is read from its bytes (JPEG, PNG or WEBP); anything else is sent as
 * application/octet-stream, never labelled as a JPEG it is not.
 */
export function portraitPart(portrait: Buffer): ImagePart {
  const sniffed = sniffImageType(portrait);
  if (sniffed === null || sniffed === "application/pdf") return { data: portrait, contentType: "application/octet-stream", filename: "portrait.bin" };
  return { data: portrait, contentType: sniffed, filename: `portrait.${extensionOf(sniffed)}` };
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
  if (images.length > 2) problems.push({ path: "document.images[2]", message: "DMS takes at most two document images (front and back)", status: 422 });
  if (images.length === 2 && images[0]?.side && images[0].side !== "single" && images[0].side === images[1]?.side)
    problems.push({ path: "document.images[1].side", message: "two document images must be a front and a back", status: 422 });
  if (needsSelfie && !input.selfie) problems.push({ path: "selfie", message: "DMS needs a selfie for the liveness and face_match checks", status: 422 });
  return problems;
}

/** Runs `advance` against DMS: each call it names, until it gives the outcome. */
async function start(v: AdapterVerification, account: DmsAccount, ctx: AdapterContext): Promise<Outcome> {
  // the core checked the request with validateRequest before this start (core/request-guard.ts)
  const settings = account.settings;
  const client = new DmsClient(account, ctx);
  const request: DmsRequestRecord = { checks: [...v.checks], minFaceQuality: settings.minFaceQuality };
  ctx.recordPayload(REQUEST_KIND, request);
  const images = v.input.document?.images ?? [];
  const selfie = v.input.selfie;
  const portraitOf = (body: DmsDocumentResponse) => decodePortrait(body.Portrait);
  const t: DmsTranscript = {};

  for (;;) {
    const step = advance(t, request, (body) => portraitOf(body) !== null);
    if ("outcome" in step) return step.outcome;
    switch (step.next) {
      case "document": {
        const pages = orderPages(images).map((i) => i.data);
        const answer = pages.length === 1 && pages[0] ? await client.recognizeDocument(pages[0]) : await client.recognizeDocumentPages(pages);
        t.document = { answer, at: ctx.now() };
        break;
      }
      case "faceDetection":
        t.faceDetection = await client.detectFaces(selfiePart(need(selfie)));
        break;
      case "portraitTemplate": {
        const body = t.document?.answer.kind === "ok" ? t.document.answer.body : null;
        const portrait = body ? portraitOf(body) : null;
        t.portraitTemplate = await client.extractTemplate(portraitPart(need(portrait)));
        break;
      }
      case "selfieTemplate":
        t.selfieTemplate = await client.extractTemplate(selfiePart(need(selfie)));
        break;
      case "faceVerify":
        t.faceVerify = await client.verifyFaces(step.templateA, step.templateB);
        break;
    }
  }
}

/** validateRequest guarantees the input a step needs */
function need<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error("DMS step without its input");
  return value;
}

export const dmsAdapter = defineAdapter({
  manifest,
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "dms-2026.12.3",
  renormalize: (payloads, v) => renormalizeDms(payloads, v),
  validateRequest: (input, checks) => validateRequest(input, checks),
  start,
  authenticateWebhook,
  parseWebhook,
  async health(account, ctx) {
    try {
      const client = new DmsClient(account, ctx);
      const s = await client.health();
      return { ok: true, detail: `IDVerifr ${s.idverifr}, LiveVerifr ${s.liveverifr}`, credits: null };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : "health check failed", credits: null };
    }
  },
});
