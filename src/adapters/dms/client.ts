// DMS HTTP: Bearer auth ("Authorization: Bearer YOUR_API_KEY"), one JSON or multipart POST per
// endpoint, every call through ctx.http. Each answer is parsed with its zod schema and recorded.
import FormData from "form-data";
import type { ZodType } from "zod";
import { VendorError } from "../../domain/errors.js";
import { defaultClassify, type VendorResponse } from "../kit/http.js";
import type { AdapterAccount, AdapterContext } from "../types.js";
import { HTTP_ERROR_MAP, lookup } from "./mapping.js";
import {
  DmsCredentialsSchema,
  DmsDocumentResponseSchema,
  DmsFaceDetectionResponseSchema,
  DmsFaceVerifyResponseSchema,
  DmsSettingsSchema,
  DmsTemplateResponseSchema,
  type DmsCredentials,
  type DmsDocumentResponse,
  type DmsFaceDetectionResponse,
  type DmsFaceVerifyResponse,
  type DmsSettings,
  type DmsTemplateResponse,
} from "./schemas.js";

export const DMS_DEFAULT_BASE_URL = "https://api.dmsworkspace.com";

export const ENDPOINTS = {
  document: "idcard_recognition_base64",
  documentMultiPage: "idcard_recognition_base64_multi_page",
  faceDetection: "face_detection",
  templateExtraction: "template_extraction",
  faceVerify: "face_verify",
  health: "health",
} as const;
export type DmsEndpoint = (typeof ENDPOINTS)[keyof typeof ENDPOINTS];

export function readCredentials(account: AdapterAccount): DmsCredentials {
  const parsed = DmsCredentialsSchema.safeParse(account.credentials);
  if (!parsed.success)
    throw new VendorError({
      kind: "auth",
      vendor: "dms",
      retryable: false,
      message: "DMS account credentials are incomplete (apiKey is required; webhookSecrets, when given, are one or two non-empty secrets)",
    });
  return parsed.data;
}

export function readSettings(account: AdapterAccount): DmsSettings {
  return account.settings as DmsSettings;
}

/** HTTP statuses through HTTP_ERROR_MAP; statuses it does not list get the shared defaults. */
export function classifyDms(endpoint: string) {
  const fallback = defaultClassify("dms", endpoint);
  return (res: VendorResponse): VendorError | null => {
    if (res.status >= 200 && res.status < 300) return null;
    const key = String(res.status);
    if (!Object.hasOwn(HTTP_ERROR_MAP, key)) return fallback(res);
    const row = lookup(HTTP_ERROR_MAP, key);
    if (!row) return null;
    return new VendorError({ ...row, vendor: "dms", endpoint, httpStatus: res.status, vendorCode: res.status });
  };
}

/**
 * How a 422 ("no document or face detected in image") is recorded: `{ status: 422, body }`, like
 * an answer that is not JSON, so that renormalize tells it from an answer.
 */
export function unprocessableRecord(body: unknown): Record<string, unknown> {
  return { status: 422, body };
}

/** The answer of one call: parsed, or DMS's 422 "no document or face detected in image". */
export type DmsAnswer<T> = { kind: "ok"; body: T } | { kind: "unprocessable" };

export interface ImagePart {
  data: Buffer;
  contentType: string;
  /** a neutral file name (never built from personal data) */
  filename: string;
}

function joinUrl(baseUrl: string, prefix: string, endpoint: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${prefix}/${endpoint}`;
}

function parseFailure(endpoint: string, detail: string): VendorError {
  return new VendorError({ kind: "parse", vendor: "dms", retryable: false, endpoint, message: `DMS ${endpoint} answer ${detail}` });
}

/**
 * The multipart body as one Buffer (not a stream), so that a retried attempt sends it again intact.
 * The curl examples post the selfie as `-F "image=@selfie.jpg"`: that part name is used.
 */
function multipartImage(part: ImagePart): { data: Buffer; headers: Record<string, string> } {
  const form = new FormData();
  form.append("image", part.data, { filename: part.filename, contentType: part.contentType, knownLength: part.data.length });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(form.getHeaders())) headers[k] = String(v);
  return { data: form.getBuffer(), headers };
}

export class DmsClient {
  private readonly baseUrl: string;

  constructor(
    account: AdapterAccount,
    private readonly credentials: DmsCredentials,
    readonly settings: DmsSettings,
    private readonly ctx: AdapterContext,
  ) {
    this.baseUrl = account.baseUrl || DMS_DEFAULT_BASE_URL;
  }

  private async post<T>(
    endpoint: DmsEndpoint,
    product: "idverifr" | "liveverifr",
    data: unknown,
    headers: Record<string, string>,
    schema: ZodType<T>,
  ): Promise<DmsAnswer<T>> {
    const idv = product === "idverifr";
    const res = await this.ctx.http.call({
      endpoint,
      method: "POST",
      url: joinUrl(this.baseUrl, idv ? this.settings.idverifrPrefix : this.settings.liveverifrPrefix, endpoint),
      headers: { Authorization: `Bearer ${this.credentials.apiKey}`, Accept: "application/json", ...headers },
      data,
      timeoutMs: idv ? this.settings.idverifrTimeoutMs : this.settings.liveverifrTimeoutMs,
      classify: classifyDms(endpoint),
    });
    if (res.status === 422) {
      this.ctx.recordPayload(endpoint, unprocessableRecord(res.json ?? res.text));
      return { kind: "unprocessable" };
    }
    if (res.json === undefined) {
      this.ctx.recordPayload(endpoint, { status: res.status, body: res.text });
      throw parseFailure(endpoint, "is not JSON");
    }
    const parsed = schema.safeParse(res.json);
    if (!parsed.success) {
      this.ctx.recordPayload(endpoint, res.json);
      // only the paths of the problems: values may be personal data
      const paths = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(root)"))].slice(0, 5).join(", ");
      throw parseFailure(endpoint, `does not have the documented shape (at ${paths})`);
    }
    this.ctx.recordPayload(endpoint, parsed.data);
    return { kind: "ok", body: parsed.data };
  }

  /** `POST idcard_recognition_base64` `{"image_base64": "..."}` (the doc's quickstart body). */
  recognizeDocument(image: Buffer): Promise<DmsAnswer<DmsDocumentResponse>> {
    return this.post(ENDPOINTS.document, "idverifr", { image_base64: image.toString("base64") }, { "Content-Type": "application/json" }, DmsDocumentResponseSchema);
  }

  /**
   * `POST idcard_recognition_base64_multi_page`. The doc lists the endpoint without its body; we send
   * `{"images_base64": [front, back]}` (the single-page key in the plural, pages in order) and assume
   * the answer has the single-page shape, fields merged across pages. The sandbox takes exactly this.
   */
  recognizeDocumentPages(pages: Buffer[]): Promise<DmsAnswer<DmsDocumentResponse>> {
    return this.post(
      ENDPOINTS.documentMultiPage,
      "idverifr",
      { images_base64: pages.map((p) => p.toString("base64")) },
      { "Content-Type": "application/json" },
      DmsDocumentResponseSchema,
    );
  }

  /** `POST face_detection`, multipart `image` as in the doc's curl (`-F "image=@selfie.jpg"`). */
  detectFaces(image: ImagePart): Promise<DmsAnswer<DmsFaceDetectionResponse>> {
    const { data, headers } = multipartImage(image);
    return this.post(ENDPOINTS.faceDetection, "liveverifr", data, headers, DmsFaceDetectionResponseSchema);
  }

  /** `POST template_extraction`: the doc shows no body; the same multipart `image` as face_detection. */
  extractTemplate(image: ImagePart): Promise<DmsAnswer<DmsTemplateResponse>> {
    const { data, headers } = multipartImage(image);
    return this.post(ENDPOINTS.templateExtraction, "liveverifr", data, headers, DmsTemplateResponseSchema);
  }

  /** `POST face_verify` `{"template_a":"<vector>","template_b":"<vector>"}`. */
  verifyFaces(templateA: string, templateB: string): Promise<DmsAnswer<DmsFaceVerifyResponse>> {
    return this.post(ENDPOINTS.faceVerify, "liveverifr", { template_a: templateA, template_b: templateB }, { "Content-Type": "application/json" }, DmsFaceVerifyResponseSchema);
  }

  /** `GET /health` of both products. */
  async health(): Promise<{ idverifr: number; liveverifr: number }> {
    const get = async (prefix: string) => {
      const res = await this.ctx.http.call({
        endpoint: ENDPOINTS.health,
        method: "GET",
        url: joinUrl(this.baseUrl, prefix, ENDPOINTS.health),
        headers: { Authorization: `Bearer ${this.credentials.apiKey}` },
        timeoutMs: this.settings.liveverifrTimeoutMs,
        classify: classifyDms(ENDPOINTS.health),
        retry: false,
      });
      return res.status;
    };
    return { idverifr: await get(this.settings.idverifrPrefix), liveverifr: await get(this.settings.liveverifrPrefix) };
  }
}
