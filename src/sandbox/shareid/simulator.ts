// ShareID sandbox: a faithful fake of the photo-based authenticity API
// (../shared/vendors/shareid-authenticity-photo.txt, written from it, no adapter code), mounted at /shareid.
//
//   POST /flow/authenticity/photo   multipart/form-data: `data` (JSON) + 1..2 `photos` files
//
// Credentials: api_key "sandbox-shareid-key" with business_hash "sandbox-business"; anything
// else answers 401 (the doc names no status for bad credentials: 401 is our choice), a missing
// one 400. The doc's limits answer 400: more than 2 files, over 10 MB of files, a file name
// without an extension or whose extension disagrees with its MIME type, a MIME type other than
// image/* or application/pdf (and not PNG/JPEG/WEBP/PDF), a tag not matching ^[a-z0-9_]{4,16}$,
// a doc_type outside the four documented, a country_code not lowercase alpha-2.
//
// Magic inputs (the `last_name` of `data`, exact, uppercase):
//   <REASON> for every documented reason (DOC_EXPIRED, DOC_EXPIRED_5Y, MISSING_DOC, MISSING_FRONT,
//     MISSING_BACK, SIDES_INCONSISTENCY, OUT_OF_SCOPE, MISSING_MRZ, WRONG_MRZ, DATE_NOT_EXTRACTED,
//     LOW_QUALITY, BLUR_IMG, LOW_RESOLUTION, FIRST_NAME_MISMATCH, LAST_NAME_MISMATCH, INVERSED_NAME,
//     DOC_SPOOF, DOC_PRINT, DOC_NOT_AUTH, NAME_NOT_EXTRACTED, SURNAME_NOT_EXTRACTED)
//                         -> 200, verdict false, reason "<reason>" (ocr/security consistent with it)
//   DOC_AUTH              -> 200, verdict true, reason "doc_auth"
//   A+B (e.g. DOC_EXPIRED+WRONG_MRZ) -> 200, verdict false, reason "doc_expired or wrong_mrz" (the one
//                         way the doc shows several reasons together: "name_not_extracted or surname_not_extracted")
//   FREE_TEXT             -> 200, verdict false, reason "Document expired" (a free-text reason, not in the table)
//   TIMEOUT               -> 408 every time
//   TIMEOUT_ONCE          -> 408 for the first request carrying these exact photos, then a clean pass
//   APARICIO LOPEZ (any case) -> a clean pass whose ocr is the README example subject's: name from first_name,
//                            surname APARICIO LOPEZ, birth_date 1955-12-18, doc_num 00000000T, sex M,
//                            nationality ESP (the default document's birth_date 1990-04-12 and doc_num
//                            SBX0000001 match no claimed subject)
// A document whose ocr does NOT match the claimed subject: FIRST_NAME_MISMATCH (ocr name DOMINIQUE),
// LAST_NAME_MISMATCH (surname DURAND), INVERSED_NAME (swapped), each with ShareID's own reason.
// Without magic, an image under 224 x 224 px gives verdict false, reason "low_resolution", and an
// image whose pixels cannot be read gives "missing_doc". Default: verdict true, reason "",
// ocr filled from first_name / last_name.
import { createHash, randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { imageSize } from "image-size";
import multer from "multer";
import { toAlpha3 } from "../../domain/countries.js";
import type { SimulatorFactory } from "../types.js";

export const SANDBOX_API_KEY = "sandbox-shareid-key";
export const SANDBOX_BUSINESS_HASH = "sandbox-business";
export const PHOTO_PATH = "/flow/authenticity/photo";

/**
 * The doc's "Reasons" table, in its order ("name_not_extracted or surname_not_extracted" is two).
 * Copied from the doc, not imported from the adapter: the simulator is written from the vendor file.
 */
export const DOCUMENTED_REASONS = [
  "doc_expired",
  "doc_expired_5y",
  "missing_doc",
  "missing_front",
  "missing_back",
  "sides_inconsistency",
  "out_of_scope",
  "missing_mrz",
  "wrong_mrz",
  "date_not_extracted",
  "low_quality",
  "blur_img",
  "low_resolution",
  "first_name_mismatch",
  "last_name_mismatch",
  "inversed_name",
  "doc_spoof",
  "doc_print",
  "doc_not_auth",
  "doc_auth",
  "name_not_extracted",
  "surname_not_extracted",
] as const;
type DocumentedReason = (typeof DOCUMENTED_REASONS)[number];

export interface MagicInput {
  /** the value of `last_name` in the `data` JSON */
  input: string;
  outcome: string;
  httpStatus: 200 | 408;
  verdict?: boolean;
  reason?: string;
}

/** a reason as a person would write it: not in the doc's table */
const FREE_TEXT_REASON = "Document expired";

/** the README example subject ("Juan" "Aparicio Lopez", 1955-12-18, id_card 00000000T of ES) */
const README_SUBJECT_LAST_NAME = "APARICIO LOPEZ";
const README_SUBJECT_OCR = {
  sex: "M",
  nationality: "ESP",
  birth_date: "1955-12-18",
  birth_place: "MADRID",
  doc_num: "00000000T",
  address: "CALLE DEL SANDBOX 1 28001 MADRID",
};

export const MAGIC_INPUTS: readonly MagicInput[] = [
  ...DOCUMENTED_REASONS.map(
    (r): MagicInput =>
      r === "doc_auth"
        ? { input: "DOC_AUTH", outcome: 'verdict true, reason "doc_auth"', httpStatus: 200, verdict: true, reason: "doc_auth" }
        : { input: r.toUpperCase(), outcome: `verdict false, reason "${r}"`, httpStatus: 200, verdict: false, reason: r },
  ),
  {
    input: "DOC_EXPIRED+WRONG_MRZ",
    outcome: 'verdict false, reason "doc_expired or wrong_mrz" (any "+"-joined list of reasons works, joined as the doc\'s table joins two)',
    httpStatus: 200,
    verdict: false,
    reason: "doc_expired or wrong_mrz",
  },
  {
    input: "FREE_TEXT",
    outcome: 'verdict false, reason "Document expired" (free text, not a documented reason)',
    httpStatus: 200,
    verdict: false,
    reason: FREE_TEXT_REASON,
  },
  { input: "TIMEOUT", outcome: 'HTTP 408 (the doc: "if there\'s a timeout in the request the http code will be 408")', httpStatus: 408 },
  { input: "TIMEOUT_ONCE", outcome: "HTTP 408 the first time these photos are sent, then verdict true", httpStatus: 408 },
  {
    input: README_SUBJECT_LAST_NAME,
    outcome: "verdict true, ocr of the README example subject (birth_date 1955-12-18, doc_num 00000000T, sex M, nationality ESP)",
    httpStatus: 200,
    verdict: true,
    reason: "",
  },
];

const MAX_FILES = 2;
const MAX_TOTAL_BYTES = 10_000_000;
const MIN_SIDE_PX = 224;
const TAG_PATTERN = /^[a-z0-9_]{4,16}$/;
const DOC_TYPES = ["id_card", "passport", "driver_permit", "residency_permit"];
const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  pdf: "application/pdf",
};

/** Security checks a reason contradicts (the doc's example keys). */
const SECURITY_OVERRIDES: Partial<Record<DocumentedReason, Record<string, boolean | null>>> = {
  wrong_mrz: { mrz_vs_viz: false },
  missing_mrz: { mrz_vs_viz: null },
  doc_print: { printing_technique: false },
  doc_spoof: { streaks_around_the_card: false },
  doc_not_auth: { printing_technique: false, info_coherence: false },
  sides_inconsistency: { info_coherence: false },
};

interface DataJson {
  api_key?: unknown;
  business_hash?: unknown;
  doc_type?: unknown;
  country_code?: unknown;
  first_name?: unknown;
  last_name?: unknown;
  tags?: unknown;
}

function isoDateYearsFromNow(years: number): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}

function magicReasons(lastName: string | undefined): DocumentedReason[] | null {
  if (!lastName) return null;
  const byMagic = new Map(DOCUMENTED_REASONS.map((r) => [r.toUpperCase(), r] as const));
  const parts = lastName.split("+").map((p) => byMagic.get(p.trim()));
  return parts.every((p): p is DocumentedReason => p !== undefined) ? parts : null;
}

function buildOcr(data: DataJson, reasons: DocumentedReason[]): Record<string, string> {
  if (reasons.includes("missing_doc") || reasons.includes("out_of_scope")) return {};
  const first = typeof data.first_name === "string" && data.first_name ? data.first_name.toUpperCase() : "CAMILLE";
  const last = typeof data.last_name === "string" && data.last_name ? data.last_name.toUpperCase() : "MARTIN";
  const country = typeof data.country_code === "string" ? data.country_code : "fr";
  const ocr: Record<string, string> = {
    name: reasons.includes("inversed_name") ? last : reasons.includes("first_name_mismatch") ? "DOMINIQUE" : first,
    surname: reasons.includes("inversed_name") ? first : reasons.includes("last_name_mismatch") ? "DURAND" : last,
    sex: "F",
    nationality: toAlpha3(country) ?? "FRA",
    birth_date: "1990-04-12",
    birth_place: "LYON",
    doc_num: "SBX0000001",
    expiration_date: reasons.includes("doc_expired")
      ? isoDateYearsFromNow(-7)
      : reasons.includes("doc_expired_5y")
        ? isoDateYearsFromNow(-2)
        : isoDateYearsFromNow(5),
    issuance_date: isoDateYearsFromNow(-5),
    address: "1 RUE DE LA SANDBOX 69001 LYON",
  };
  if (last === README_SUBJECT_LAST_NAME && reasons.length === 0) Object.assign(ocr, README_SUBJECT_OCR);
  if (reasons.includes("name_not_extracted")) delete ocr.name;
  if (reasons.includes("surname_not_extracted")) delete ocr.surname;
  if (reasons.includes("date_not_extracted")) {
    delete ocr.birth_date;
    delete ocr.expiration_date;
  }
  return ocr;
}

function buildSecurity(reasons: DocumentedReason[]): Record<string, boolean | null> {
  if (reasons.includes("missing_doc") || reasons.includes("out_of_scope")) return {};
  const security: Record<string, boolean | null> = {
    mrz_vs_viz: true,
    printing_technique: true,
    integrated_photo: null,
    streaks_around_the_card: true,
    info_coherence: true,
  };
  for (const r of reasons) Object.assign(security, SECURITY_OVERRIDES[r] ?? {});
  return security;
}

function fail(res: Response, status: number, error: string) {
  res.status(status).json({ error });
}

export const createShareidSimulator: SimulatorFactory = ({ faults, log }) => {
  const router = express.Router();
  const timedOutOnce = new Set<string>();
  const upload = multer({
    storage: multer.memoryStorage(),
    // generous transport limits: the doc's own limits are checked below to answer with a clear 400
    limits: { files: 10, fileSize: 50 * 1024 * 1024, fieldSize: 1024 * 1024, fields: 10 },
  }).any();

  router.use(faults.middleware("shareid"));

  router.post(
    PHOTO_PATH,
    (req: Request, res: Response, next: NextFunction) => {
      upload(req, res, (err: unknown) => {
        if (err) return fail(res, 400, `invalid multipart form: ${(err as { code?: string }).code ?? "unreadable"}`);
        next();
      });
    },
    (req: Request, res: Response) => {
      if (!req.is("multipart/form-data")) return fail(res, 400, "Content-Type must be multipart/form-data");
      const files = (Array.isArray(req.files) ? req.files : []) as Express.Multer.File[];
      const body = (req.body ?? {}) as Record<string, unknown>;

      let data: DataJson;
      try {
        const parsed: unknown = typeof body.data === "string" ? JSON.parse(body.data) : undefined;
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return fail(res, 400, "data must be a json encoded object");
        data = parsed as DataJson;
      } catch {
        return fail(res, 400, "data must be a json encoded object");
      }
      if (typeof data.api_key !== "string" || !data.api_key || typeof data.business_hash !== "string" || !data.business_hash)
        return fail(res, 400, "api_key and business_hash are mandatory");
      if (data.api_key !== SANDBOX_API_KEY || data.business_hash !== SANDBOX_BUSINESS_HASH) return fail(res, 401, "invalid api_key or business_hash");

      if (data.doc_type !== undefined && !(typeof data.doc_type === "string" && DOC_TYPES.includes(data.doc_type)))
        return fail(res, 400, "doc_type must be one of id_card, passport, driver_permit, residency_permit");
      if (data.country_code !== undefined && !(typeof data.country_code === "string" && /^[a-z]{2}$/.test(data.country_code)))
        return fail(res, 400, "country_code must be a lowercase ISO 3166-1 alpha-2 code");
      for (const key of ["first_name", "last_name"] as const)
        if (data[key] !== undefined && typeof data[key] !== "string") return fail(res, 400, `${key} must be a string`);
      if (data.tags !== undefined && !(Array.isArray(data.tags) && data.tags.every((t) => typeof t === "string" && TAG_PATTERN.test(t))))
        return fail(res, 400, 'tags must be an array of strings matching "^[a-z0-9_]{4,16}$"');

      if (files.some((f) => f.fieldname !== "photos")) return fail(res, 400, "files must be sent in the photos field");
      if (files.length === 0) return fail(res, 400, "at least one photo is required");
      if (files.length > MAX_FILES) return fail(res, 400, `a maximum of ${MAX_FILES} documents can be sent`);
      if (files.reduce((n, f) => n + f.size, 0) > MAX_TOTAL_BYTES) return fail(res, 400, "the total upload exceeds 10MB");
      for (const f of files) {
        const ext = /\.([A-Za-z0-9]+)$/.exec(f.originalname)?.[1]?.toLowerCase();
        if (!ext) return fail(res, 400, "the filename must have an extension");
        const mime = f.mimetype.toLowerCase();
        if (!mime.startsWith("image/") && mime !== "application/pdf") return fail(res, 400, "the mime-type must be image/* or application/pdf");
        const expected = MIME_BY_EXTENSION[ext];
        if (!expected) return fail(res, 400, "file type not supported (png, jpeg, jpg, webp, pdf)");
        if (expected !== mime) return fail(res, 400, "the filename extension must match the mime/type");
      }

      const lastName = typeof data.last_name === "string" ? data.last_name.trim() : undefined;
      if (lastName === "TIMEOUT") return fail(res, 408, "timeout");
      if (lastName === "TIMEOUT_ONCE") {
        const key = createHash("sha256")
          .update(Buffer.concat(files.map((f) => f.buffer)))
          .digest("hex");
        if (!timedOutOnce.has(key)) {
          timedOutOnce.add(key);
          return fail(res, 408, "timeout");
        }
      }

      let reasons = lastName === "FREE_TEXT" ? (["doc_expired"] as DocumentedReason[]) : magicReasons(lastName);
      if (!reasons) {
        reasons = [];
        for (const f of files) {
          if (f.mimetype === "application/pdf") continue;
          let size: { width?: number; height?: number } | null;
          try {
            size = imageSize(f.buffer);
          } catch {
            size = null;
          }
          if (!size || size.width === undefined || size.height === undefined) reasons.push("missing_doc");
          else if (size.width < MIN_SIDE_PX || size.height < MIN_SIDE_PX) reasons.push("low_resolution");
        }
        reasons = [...new Set(reasons)];
      }
      const verdict = reasons.every((r) => r === "doc_auth");
      const noDocument = reasons.includes("missing_doc") || reasons.includes("out_of_scope");
      const flowId = randomUUID();
      log.info({ vendor: "shareid", flowId, verdict, reasons }, "shareid sandbox: authenticity photo");
      res.status(200).json({
        doc_type: noDocument ? "" : typeof data.doc_type === "string" ? data.doc_type : "id_card",
        country_code: noDocument ? "" : typeof data.country_code === "string" ? data.country_code : "fr",
        doc_model: noDocument ? "" : "2021",
        ocr: buildOcr(data, reasons),
        security: buildSecurity(reasons),
        reason: lastName === "FREE_TEXT" ? FREE_TEXT_REASON : reasons.join(" or "),
        verdict,
        flow_id: flowId,
      });
    },
  );
  return router;
};

/** the sandbox mounts this at /shareid: src/sandbox/simulators.ts finds every folder's `simulator` */
export const simulator: SimulatorFactory = createShareidSimulator;
