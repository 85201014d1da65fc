// DMS HTTP: Bearer auth ("Authorization: Bearer YOUR_API_KEY"), one JSON or multipart POST per endpoint, every
// call through ctx.http. Each answer is parsed with its zod schema and recorded (the kit's parseAnswer).
import type { ZodType } from "zod";
import { bearerAuth, joinUrl, multipartBody, parseAnswer, statusClassifier, vendorErrorFor, type FilePart } from "../kit/http.js";
import type { AccountOf } from "../kit/define.js";
import type { AdapterContext } from "../types.js";
import { manifest } from "./manifest.js";
import { HTTP_ERROR_MAP } from "./mapping.js";
import {
  DmsDocumentResponseSchema,
  DmsFaceDetectionResponseSchema,
  DmsFaceVerifyResponseSchema,
  DmsTemplateResponseSchema,
  type DmsDocumentResponse,
  type DmsFaceDetectionResponse,
  type DmsFaceVerifyResponse,
  type DmsTemplateResponse,
} from "./schemas.js";

export type DmsAccount = AccountOf<typeof manifest>;
export const vendorError = vendorErrorFor("dms");

export const ENDPOINTS = {
  document: "idcard_recognition_base64",
  documentMultiPage: "idcard_recognition_base64_multi_page",
  faceDetection: "face_detection",
  templateExtraction: "template_extraction",
  faceVerify: "face_verify",
  health: "health",
} as const;
export type DmsEndpoint = (typeof ENDPOINTS)[keyof typeof ENDPOINTS];

/** HTTP statuses through HTTP_ERROR_MAP (its wording as the message); statuses it does not list get the shared defaults. */
export const classifyDms = statusClassifier("dms", HTTP_ERROR_MAP, { message: (status, row) => row.message ?? `vendor answered ${status}` });

/**
 * How a 422 ("no document or face detected in image") is recorded: `{ status: 422, body }`, like
 * an answer that is not JSON, so that renormalize tells it from an answer.
 */
export function unprocessableRecord(body: unknown): Record<string, unknown> {
  return { status: 422, body };
}

/** The answer of one call: parsed, or DMS's 422 "no document or face detected in image". */
export type DmsAnswer<T> = { kind: "ok"; body: T } | { kind: "unprocessable" };

export type ImagePart = FilePart;

/** The curl examples post the selfie as `-F "image=@selfie.jpg"`: that part name is used. */
function multipartImage(part: ImagePart) {
  return multipartBody([["image", part]]);
}

const json = (body: unknown) => ({ data: body, headers: { "Content-Type": "application/json" } });

export class DmsClient {
  private readonly baseUrl: string;

  constructor(
    private readonly account: DmsAccount,
    private readonly ctx: AdapterContext,
  ) {
    this.baseUrl = account.baseUrl || manifest.defaultBaseUrl;
  }

  get settings() {
    return this.account.settings;
  }

  private async post<T>(
    endpoint: DmsEndpoint,
    product: "idverifr" | "liveverifr",
    body: { data: unknown; headers: Record<string, string> },
    schema: ZodType<T>,
  ): Promise<DmsAnswer<T>> {
    const idv = product === "idverifr";
    const s = this.account.settings;
    const res = await this.ctx.http.call({
      endpoint,
      method: "POST",
      url: joinUrl(this.baseUrl, idv ? s.idverifrPrefix : s.liveverifrPrefix, endpoint),
      headers: { ...bearerAuth(this.account.credentials.apiKey), Accept: "application/json", ...body.headers },
      data: body.data,
      timeoutMs: idv ? s.idverifrTimeoutMs : s.liveverifrTimeoutMs,
      classify: classifyDms(endpoint),
    });
    if (res.status === 422) {
      this.ctx.recordPayload(endpoint, unprocessableRecord(res.json ?? res.text));
      return { kind: "unprocessable" };
    }
    return {
      kind: "ok",
      body: parseAnswer(res, { vendor: "dms", endpoint, schema, label: `DMS ${endpoint}`, record: (b) => this.ctx.recordPayload(endpoint, b) }),
    };
  }

  /** `POST idcard_recognition_base64` `{"image_base64": "..."}` (the doc's quickstart body). */
  recognizeDocument(image: Buffer): Promise<DmsAnswer<DmsDocumentResponse>> {
    return this.post(ENDPOINTS.document, "idverifr", json({ image_base64: image.toString("base64") }), DmsDocumentResponseSchema);
  }

  /**
   * `POST idcard_recognition_base64_multi_page`. The doc lists the endpoint without its body; we send
   * `{"images_base64": [front, back]}` (the single-page key in the plural, pages in order) and assume
   * the answer has the single-page shape, fields merged across pages. The sandbox takes exactly this.
   */
  recognizeDocumentPages(pages: Buffer[]): Promise<DmsAnswer<DmsDocumentResponse>> {
    return this.post(ENDPOINTS.documentMultiPage, "idverifr", json({ images_base64: pages.map((p) => p.toString("base64")) }), DmsDocumentResponseSchema);
  }

  /** `POST face_detection`, multipart `image` as in the doc's curl (`-F "image=@selfie.jpg"`). */
  detectFaces(image: ImagePart): Promise<DmsAnswer<DmsFaceDetectionResponse>> {
    return this.post(ENDPOINTS.faceDetection, "liveverifr", multipartImage(image), DmsFaceDetectionResponseSchema);
  }

  /** `POST template_extraction`: the doc shows no body; the same multipart `image` as face_detection. */
  extractTemplate(image: ImagePart): Promise<DmsAnswer<DmsTemplateResponse>> {
    return this.post(ENDPOINTS.templateExtraction, "liveverifr", multipartImage(image), DmsTemplateResponseSchema);
  }

  /** `POST face_verify` `{"template_a":"<vector>","template_b":"<vector>"}`. */
  verifyFaces(templateA: string, templateB: string): Promise<DmsAnswer<DmsFaceVerifyResponse>> {
    return this.post(ENDPOINTS.faceVerify, "liveverifr", json({ template_a: templateA, template_b: templateB }), DmsFaceVerifyResponseSchema);
  }

  /** `GET /health` of both products. */
  async health(): Promise<{ idverifr: number; liveverifr: number }> {
    const s = this.account.settings;
    const get = async (prefix: string) => {
      const res = await this.ctx.http.call({
        endpoint: ENDPOINTS.health,
        method: "GET",
        url: joinUrl(this.baseUrl, prefix, ENDPOINTS.health),
        headers: bearerAuth(this.account.credentials.apiKey),
        timeoutMs: s.liveverifrTimeoutMs,
        classify: classifyDms(ENDPOINTS.health),
        retry: false,
      });
      return res.status;
    };
    return { idverifr: await get(s.idverifrPrefix), liveverifr: await get(s.liveverifrPrefix) };
  }
}
