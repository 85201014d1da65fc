// Identomat sandbox: a faithful fake of widget.identomat.com's external API
// (../shared/vendors/identomat.txt + DESIGN.md's Identomat note), mounted at /identomat.
//
//   GET|POST /external-api/begin/   company_key + flags (+ steps, config_id) -> "<session_token>" (a JSON string)
//   GET|POST /external-api/result/  company_key + session_token -> the result document
//   GET|POST /external-api/delete/  company_key + session_token -> the deleted session's document
//   GET      /?session_token=...    a stand-in for the widget page the end user is sent to
// Parameters come as a query string, URL-encoded or multipart form data (flags/steps as JSON
// text) or a JSON body, as the doc allows.
//
// Auth: company_key must be `sandbox-identomat-key`; anything else answers
// 401 "INVALID_COMPANY_KEY". A request carrying `Authorization: signature="..."` must be signed
// with the company's secret_key `sandbox-identomat-secret` (base64 HMAC-SHA256 of the raw body;
// of the raw query string for a GET; iteratively over the text parts for multipart) or it answers
// 401 "INVALID_SIGNATURE"; a signed request gets a signed answer (`Authorization: signature=...`
// over the answer body); error answers are never signed.
// Errors are a JSON string naming the code: 400 "INVALID_PARAMETERS" (flags/steps malformed),
// 400 "SESSION_INVALID" (a malformed token, or a token older than 15 minutes whose session never
// finished), 400 "SESSION_NOT_FOUND" (an unknown or deleted token, or another company's).
//
// MAGIC INPUTS: the query parameters of flags.return_url (the gateway's hosted.returnUrl), e.g.
// https://tenant.example/done?magic=REJECTED:DOCUMENT_EXPIRED&polls=2
//   magic= chooses the result:
//   (no magic) / magic=APPROVED        APPROVED, live true, similarity 0.93
//   magic=REJECTED:<VALUE>             REJECTED with reject_reason.value <VALUE> (e.g. DOCUMENT_EXPIRED, FACE_MISMATCH)
//   magic=REJECTED                     REJECTED with reject_reason null
//   magic=MANUAL_CHECK                 MANUAL_CHECK, never settled (use the control route)
//   magic=MANUAL_CHECK_THEN_APPROVED   MANUAL_CHECK for `settle` result calls (default 1), then the operator's APPROVED
//   magic=MANUAL_CHECK_THEN_APPROVED_LOW  the same with similarity 0.62 throughout: an operator approval after a low similarity
//   magic=MANUAL_CHECK_THEN_REJECTED   MANUAL_CHECK for `settle` result calls (default 1), then REJECTED (FACE_MISMATCH)
//   magic=DISAGREED_WITH_TERMS         DISAGREED_WITH_TERMS
//   magic=NEVER                        stays IN_PROGRESS (SESSION_INVALID once the token is 15 minutes old)
//   magic=SPOOF                        REJECTED, live false, reject_reason LIVENESS_FAILED (with flags.liveness true;
//                                      without a liveness check nothing can see the spoof: APPROVED)
//   magic=LOW_SIMILARITY               a plain APPROVED with similarity 0.62
//   magic=MEDIUM_SIMILARITY            a plain APPROVED with similarity 0.75
//   polls=<n>                          the first n result calls answer IN_PROGRESS (default 1)
//   similarity=<0..1>                  the similarity of every answer of the session (overrides the magic's)
//   comment=<text>                     the final APPROVED/REJECTED carries result_comment <text> ("If Operator
//                                      Rejects/Approves the session manually and adds a comment ...")
//   doc= chooses the document data (person); the default is the sandbox document:
//     first_name SANDBOX, last_name SPECIMEN (local_* in Georgian), birthday 11/25/1979 (1979-11-25),
//     document_number SBX000001, document_expires 8/2/2031 (2031-08-02; 3/1/2020 for REJECTED:DOCUMENT_EXPIRED),
//     document_type the first flags.document_types item (else "id"), issuing_state/nationality/citizenship
//     the first flags.document_countries item (else "GEO")
//   doc=MISMATCH                       another person: NINO BERIDZE, birthday 1990-01-02, document_number SBX999999
//   doc=INVERTED                       first_name SPECIMEN, last_name SANDBOX (given names and surname swapped)
//   doc=NO_EXPIRY                      no document_expires / document_expires_time
//   doc=RU | doc=UK | doc=GR           names only in the document's script (first_name/last_name empty):
//                                      ИВАН ПЕТРОВ / ОЛЕНА ШЕВЧЕНКО / ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ, the rest as the sandbox document
//
// FLAGS the answer follows ("Skip document scanning step completely", "Skip face scanning step
// completely", "Whether or not to check liveness of the user. Default: false"):
//   skip_document true   no document scanned: document_type "", person {}, no similarity (nothing to compare the face with)
//   skip_face true       no face scanned: no live, no similarity
//   liveness not true    no liveness check: no live
//
// Control (sandbox only, no company_key):
//   POST /_control/sessions/:token/complete {result, reject_reason?, live?, similarity?, document_type?}
//   GET  /_control/sessions/:token   -> { resultCalls, state, ... }
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import multer from "multer";
import { z } from "zod";
import type { SimulatorFactory, SimulatorOptions } from "../types.js";

export const SANDBOX_COMPANY_KEY = "sandbox-identomat-key";
export const SANDBOX_SECRET_KEY = "sandbox-identomat-secret";
export const SECRET_BY_COMPANY_KEY: Readonly<Record<string, string>> = { [SANDBOX_COMPANY_KEY]: SANDBOX_SECRET_KEY };
/** "the session_token is valid for 15 minutes by default" */
export const TOKEN_TTL_MS = 15 * 60_000;

export const MAGIC_INPUTS: readonly { input: string; outcome: string }[] = [
  { input: "hosted.returnUrl without magic (or ?magic=APPROVED)", outcome: "IN_PROGRESS once, then APPROVED (live true, similarity 0.93)" },
  { input: "hosted.returnUrl ?magic=REJECTED:<VALUE> (e.g. REJECTED:DOCUMENT_EXPIRED)", outcome: "REJECTED with reject_reason.value <VALUE>" },
  { input: "hosted.returnUrl ?magic=REJECTED", outcome: "REJECTED with reject_reason null" },
  { input: "hosted.returnUrl ?magic=MANUAL_CHECK", outcome: "MANUAL_CHECK, never settled (settle it with the control route)" },
  {
    input: "hosted.returnUrl ?magic=MANUAL_CHECK_THEN_APPROVED[&settle=n]",
    outcome: "MANUAL_CHECK for n result calls (default 1), then the operator's APPROVED",
  },
  {
    input: "hosted.returnUrl ?magic=MANUAL_CHECK_THEN_APPROVED_LOW[&settle=n]",
    outcome: "MANUAL_CHECK with similarity 0.62 for n result calls (default 1), then the operator's APPROVED with similarity 0.62",
  },
  {
    input: "hosted.returnUrl ?magic=MANUAL_CHECK_THEN_REJECTED[&settle=n]",
    outcome: "MANUAL_CHECK for n result calls (default 1), then REJECTED (FACE_MISMATCH)",
  },
  { input: "hosted.returnUrl ?magic=DISAGREED_WITH_TERMS", outcome: "DISAGREED_WITH_TERMS" },
  { input: "hosted.returnUrl ?magic=NEVER", outcome: "IN_PROGRESS forever; SESSION_INVALID once the token is 15 minutes old" },
  {
    input: "hosted.returnUrl ?magic=SPOOF",
    outcome: "REJECTED, live false, reject_reason LIVENESS_FAILED (APPROVED when flags.liveness is not true: no liveness check ran)",
  },
  { input: "flags.skip_document true", outcome: 'no document scanned: document_type "", person {}, no similarity' },
  { input: "flags.skip_face true", outcome: "no face scanned: no live, no similarity" },
  { input: "flags.liveness not true (the default)", outcome: "no liveness check: no live member" },
  { input: "hosted.returnUrl ?magic=LOW_SIMILARITY", outcome: "a plain APPROVED with similarity 0.62" },
  { input: "hosted.returnUrl ?magic=MEDIUM_SIMILARITY", outcome: "a plain APPROVED with similarity 0.75" },
  { input: "hosted.returnUrl &polls=<n>", outcome: "the first n result calls answer IN_PROGRESS (default 1)" },
  { input: "hosted.returnUrl &similarity=<0..1>", outcome: "every answer of the session carries that similarity" },
  { input: "hosted.returnUrl &comment=<text>", outcome: "the final APPROVED/REJECTED carries result_comment <text> (an operator's comment)" },
  {
    input: "hosted.returnUrl without doc",
    outcome: "the sandbox document: SANDBOX SPECIMEN, born 1979-11-25, SBX000001, expires 2031-08-02, country of flags.document_countries (else GEO)",
  },
  { input: "hosted.returnUrl &doc=MISMATCH", outcome: "another person's document: NINO BERIDZE, born 1990-01-02, SBX999999" },
  { input: "hosted.returnUrl &doc=INVERTED", outcome: "first_name SPECIMEN, last_name SANDBOX" },
  { input: "hosted.returnUrl &doc=NO_EXPIRY", outcome: "no document_expires / document_expires_time" },
  { input: "hosted.returnUrl &doc=RU | UK | GR", outcome: "names only in the document's script: ИВАН ПЕТРОВ / ОЛЕНА ШЕВЧЕНКО / ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ" },
  { input: "company_key other than sandbox-identomat-key", outcome: '401 "INVALID_COMPANY_KEY"' },
  { input: "Authorization: signature not made with sandbox-identomat-secret", outcome: '401 "INVALID_SIGNATURE"' },
];

/** document data variants (`doc=`): the members each one changes in the sandbox document's `person` */
export const DOCUMENT_VARIANTS = {
  SANDBOX: {},
  MISMATCH: {
    local_first_name: "ნინო",
    local_last_name: "ბერიძე",
    first_name: "NINO",
    last_name: "BERIDZE",
    birthday: "1/2/1990",
    birthday_time: "1990-01-02T00:00:00.000Z",
    age: 35,
    sex: "F",
    document_number: "SBX999999",
    personal_number: "01001999999",
  },
  INVERTED: { local_first_name: "სპეციმენი", local_last_name: "სენდბოქსი", first_name: "SPECIMEN", last_name: "SANDBOX" },
  NO_EXPIRY: { document_expires: undefined, document_expires_time: undefined },
  RU: { local_first_name: "ИВАН", local_last_name: "ПЕТРОВ", first_name: "", last_name: "" },
  UK: { local_first_name: "ОЛЕНА", local_last_name: "ШЕВЧЕНКО", first_name: "", last_name: "", sex: "F" },
  GR: { local_first_name: "ΓΕΩΡΓΙΟΣ", local_last_name: "ΠΑΠΑΔΟΠΟΥΛΟΣ", first_name: "", last_name: "" },
} as const satisfies Record<string, Record<string, string | number | undefined>>;
export type DocumentVariant = keyof typeof DOCUMENT_VARIANTS;

const RESULTS = ["APPROVED", "REJECTED", "MANUAL_CHECK", "DISAGREED_WITH_TERMS", "IN_PROGRESS"] as const;
type Result = (typeof RESULTS)[number];
const DOCUMENT_TYPES = ["id", "passport", "driver_license", "residence_license"] as const;

interface Plan {
  final: Exclude<Result, "IN_PROGRESS"> | "NEVER";
  rejectReason: string | null;
  live: boolean;
  similarity: number;
  inProgressPolls: number;
  /** MANUAL_CHECK_THEN_*: what it settles into, after `settlePolls` MANUAL_CHECK answers */
  settleTo: "APPROVED" | "REJECTED" | null;
  settlePolls: number;
  magic: string;
  /** `similarity=` was given: it holds for every answer */
  similarityGiven: boolean;
  /** `comment=`: the final APPROVED/REJECTED's result_comment */
  comment: string | null;
  doc: DocumentVariant;
}

interface Override {
  result: Result;
  reject_reason?: { value: string; description?: string } | null;
  live?: boolean;
  similarity?: number;
  document_type?: string;
  result_comment?: string;
}

/**
 * The widget's steps as the session's flags set them (../shared/vendors/identomat.txt):
 *   "skip_document": "Skip document scanning step completely. Default: false"
 *   "skip_face": "Skip face scanning step completely. Default: false"
 *   "liveness": "Whether or not to check liveness of the user. Default: false"
 * A step that did not run reports nothing: no `person`/`document_type` without the document scan,
 * no `live` without a liveness check, no `similarity` without both a face and a document to compare.
 */
export interface WidgetSteps {
  document: boolean;
  face: boolean;
  liveness: boolean;
}

export function stepsOf(flags: Record<string, unknown>): WidgetSteps {
  const face = flags.skip_face !== true;
  return { document: flags.skip_document !== true, face, liveness: face && flags.liveness === true };
}

/** the magic plan under the session's steps: a liveness rejection (SPOOF) needs a liveness check to have run */
export function planUnder(plan: Plan, steps: WidgetSteps): Plan {
  if (!steps.liveness && plan.rejectReason === "LIVENESS_FAILED") return { ...plan, final: "APPROVED", rejectReason: null, live: true };
  return plan;
}

interface Session {
  token: string;
  companyKey: string;
  flags: Record<string, unknown>;
  steps: WidgetSteps;
  configId: string | null;
  createdAt: Date;
  resultCalls: number;
  plan: Plan;
  override: Override | null;
}

function similarityParam(value: string | null): number | null {
  const n = value === null || value.trim() === "" ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

function docParam(value: string | null): DocumentVariant {
  const key = (value ?? "SANDBOX").trim().toUpperCase();
  return Object.hasOwn(DOCUMENT_VARIANTS, key) ? (key as DocumentVariant) : "SANDBOX";
}

function intParam(value: string | null, fallback: number): number {
  const n = value === null ? NaN : Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 1000 ? n : fallback;
}

export function planFromReturnUrl(returnUrl: unknown): Plan {
  let params = new URLSearchParams();
  if (typeof returnUrl === "string") {
    try {
      params = new URL(returnUrl).searchParams;
    } catch {
      params = new URLSearchParams();
    }
  }
  const magic = (params.get("magic") ?? "APPROVED").trim().toUpperCase();
  const base: Plan = {
    final: "APPROVED",
    rejectReason: null,
    live: true,
    similarity: 0.93,
    inProgressPolls: intParam(params.get("polls"), 1),
    settleTo: null,
    settlePolls: intParam(params.get("settle"), 1),
    magic,
    similarityGiven: false,
    comment: params.get("comment")?.trim() || null,
    doc: docParam(params.get("doc")),
  };
  const plan = planForMagic(magic, base);
  const similarity = similarityParam(params.get("similarity"));
  return similarity === null ? plan : { ...plan, similarity, similarityGiven: true };
}

function planForMagic(magic: string, base: Plan): Plan {
  if (magic.startsWith("REJECTED")) {
    const value = magic.slice("REJECTED".length).replace(/^:/, "");
    return { ...base, final: "REJECTED", rejectReason: value || null, similarity: value === "FACE_MISMATCH" ? 0.31 : base.similarity };
  }
  switch (magic) {
    case "MANUAL_CHECK":
      return { ...base, final: "MANUAL_CHECK", similarity: 0.81 };
    case "MANUAL_CHECK_THEN_APPROVED":
      return { ...base, final: "MANUAL_CHECK", similarity: 0.81, settleTo: "APPROVED" };
    case "MANUAL_CHECK_THEN_APPROVED_LOW":
      return { ...base, final: "MANUAL_CHECK", similarity: 0.62, settleTo: "APPROVED" };
    case "MANUAL_CHECK_THEN_REJECTED":
      return { ...base, final: "MANUAL_CHECK", similarity: 0.81, settleTo: "REJECTED" };
    case "DISAGREED_WITH_TERMS":
      return { ...base, final: "DISAGREED_WITH_TERMS", live: false, similarity: 0 };
    case "NEVER":
      return { ...base, final: "NEVER" };
    case "SPOOF":
      return { ...base, final: "REJECTED", live: false, rejectReason: "LIVENESS_FAILED" };
    case "LOW_SIMILARITY":
      return { ...base, final: "APPROVED", similarity: 0.62 };
    case "MEDIUM_SIMILARITY":
      return { ...base, final: "APPROVED", similarity: 0.75 };
    default:
      return base;
  }
}

/** the result the session shows after `calls` result calls */
function stateAfter(s: Session, calls: number): { result: Result; rejectReason: string | null } {
  if (s.override) return { result: s.override.result, rejectReason: s.override.reject_reason?.value ?? null };
  const p = s.plan;
  if (p.final === "NEVER" || calls <= p.inProgressPolls) return { result: "IN_PROGRESS", rejectReason: null };
  if (p.final === "MANUAL_CHECK" && p.settleTo && calls > p.inProgressPolls + p.settlePolls) {
    return { result: p.settleTo, rejectReason: p.settleTo === "REJECTED" ? "FACE_MISMATCH" : null };
  }
  return { result: p.final, rejectReason: p.rejectReason };
}

const REJECT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  DOCUMENT_EXPIRED: "The document is expired",
  FACE_MISMATCH: "The face does not match the document photo",
  LIVENESS_FAILED: "The person was not considered live",
};

function resultDocument(s: Session, state: { result: Result; rejectReason: string | null }): Record<string, unknown> {
  const o = s.override;
  const base = {
    configId: s.configId ?? "",
    trustedDatabaseRecord: null,
    result_comment: o?.result_comment ?? (s.plan.comment && (state.result === "APPROVED" || state.result === "REJECTED") ? s.plan.comment : ""),
    questionnaires: [],
    generalDocuments: [],
  };
  if (state.result === "IN_PROGRESS" || state.result === "DISAGREED_WITH_TERMS") {
    return { result: state.result, live: false, similarity: 0, document_type: "", reject_reason: null, person: {}, ...base };
  }
  const steps = s.steps;
  const documentTypes = Array.isArray(s.flags.document_types) ? s.flags.document_types : [];
  const countries = Array.isArray(s.flags.document_countries) ? s.flags.document_countries : [];
  const country = typeof countries[0] === "string" ? countries[0] : "GEO";
  const expired = state.rejectReason === "DOCUMENT_EXPIRED";
  const rejectReason =
    o && o.reject_reason !== undefined
      ? o.reject_reason
      : state.rejectReason
        ? { value: state.rejectReason, description: REJECT_DESCRIPTIONS[state.rejectReason] ?? "" }
        : null;
  const live = o?.live ?? (steps.liveness ? s.plan.live : undefined);
  const similarity =
    o?.similarity ??
    (steps.face && steps.document
      ? state.result === "REJECTED" && state.rejectReason === "FACE_MISMATCH" && !s.plan.similarityGiven
        ? 0.31
        : s.plan.similarity
      : undefined);
  const scanned = steps.document;
  return {
    result: state.result,
    ...(live === undefined ? {} : { live }),
    ...(similarity === undefined ? {} : { similarity }),
    document_type: o?.document_type ?? (!scanned ? "" : typeof documentTypes[0] === "string" ? documentTypes[0] : "id"),
    reject_reason: rejectReason,
    person: !scanned
      ? {}
      : {
          local_first_name: "სენდბოქსი",
          local_last_name: "სპეციმენი",
          first_name: "SANDBOX",
          last_name: "SPECIMEN",
          birthday: "11/25/1979",
          birthday_time: "1979-11-25T00:00:00.000Z",
          age: 45,
          birth_place: "TBILISI",
          citizenship: country,
          nationality: country,
          document_number: "SBX000001",
          document_issued: "2/8/2021",
          document_expires: expired ? "3/1/2020" : "8/2/2031",
          document_expires_time: expired ? "2020-03-01T00:00:00.000Z" : "2031-08-02T00:00:00.000Z",
          personal_number: "01001000001",
          authority: "SANDBOX AUTHORITY",
          issuing_state: country,
          sex: "M",
          address: "1 SANDBOX STREET",
          email: "",
          phone: "",
          status: "",
          ...DOCUMENT_VARIANTS[s.plan.doc],
        },
    ...base,
  };
}

// ---------------------------------------------------------------------------
// request reading and HMAC

type RawRequest = Request & { rawBody?: Buffer };

function captureRaw(req: Request, _res: Response, buf: Buffer) {
  (req as RawRequest).rawBody = buf;
}

function params(req: Request): Record<string, unknown> {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const b = req.body && typeof req.body === "object" && !Buffer.isBuffer(req.body) ? (req.body as Record<string, unknown>) : {};
  return { ...q, ...b };
}

/** flags/steps arrive as objects in a JSON body, as JSON text in a query string or form */
function jsonParam(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || value === null || value === "") return { ok: true, value: undefined };
  if (typeof value !== "string") return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    return { ok: false };
  }
}

function hmac(key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** the code a request must carry, per Identomat's HMAC page */
function expectedSignature(req: RawRequest, secret: string): string {
  if (req.is("multipart/form-data")) {
    // "base64(hmac_sha_256(hmac_sha_256(secret_key, part_1), part_2))": text parts, in order
    let key: Buffer = Buffer.from(secret);
    for (const value of Object.values((req.body ?? {}) as Record<string, unknown>)) key = hmac(key, String(value));
    return key.toString("base64");
  }
  if (req.rawBody && req.rawBody.length > 0) return hmac(secret, req.rawBody).toString("base64");
  const q = req.originalUrl.indexOf("?");
  return hmac(secret, q >= 0 ? req.originalUrl.slice(q + 1) : "").toString("base64");
}

function signatureOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^\s*signature\s*=\s*"?([A-Za-z0-9+/=]+)"?\s*$/i.exec(header);
  return m ? m[1]! : null;
}

function sameCode(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  return x.length === y.length && timingSafeEqual(x, y);
}

function errorAnswer(res: Response, status: number, code: string) {
  res.status(status).type("application/json").send(JSON.stringify(code));
}

/** company_key and (when present) the request signature; answers the error itself and returns null when refused */
function authenticate(req: Request, res: Response): { companyKey: string; secret: string | null } | null {
  const p = params(req);
  const companyKey = typeof p.company_key === "string" ? p.company_key : "";
  const companySecret = Object.hasOwn(SECRET_BY_COMPANY_KEY, companyKey) ? SECRET_BY_COMPANY_KEY[companyKey]! : null;
  if (!companySecret) {
    errorAnswer(res, 401, "INVALID_COMPANY_KEY");
    return null;
  }
  const header = req.get("authorization");
  if (header === undefined) return { companyKey, secret: null };
  const code = signatureOf(header);
  if (!code || !sameCode(code, expectedSignature(req as RawRequest, companySecret))) {
    errorAnswer(res, 401, "INVALID_SIGNATURE");
    return null;
  }
  return { companyKey, secret: companySecret };
}

function answer(res: Response, secret: string | null, body: unknown) {
  const text = JSON.stringify(body);
  if (secret) res.setHeader("Authorization", `signature="${hmac(secret, text).toString("base64")}"`);
  res.status(200).type("application/json").send(text);
}

function newToken(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join("");
}

const TOKEN_FORMAT = /^[a-z0-9]{40}$/;

const FlagsSchema = z.looseObject({
  return_url: z.string().optional(),
  liveness: z.boolean().optional(),
  skip_document: z.boolean().optional(),
  skip_face: z.boolean().optional(),
  language: z.string().optional(),
  document_types: z.array(z.enum(DOCUMENT_TYPES)).optional(),
  document_countries: z.array(z.string().regex(/^[A-Z]{3}$/)).optional(),
});
const StepsSchema = z.array(z.looseObject({ type: z.string().optional(), key: z.string().optional() }));

const CompleteSchema = z.object({
  result: z.enum(RESULTS),
  reject_reason: z
    .union([z.string().transform((value) => ({ value })), z.object({ value: z.string(), description: z.string().optional() }), z.null()])
    .optional(),
  live: z.boolean().optional(),
  similarity: z.number().min(0).max(1).optional(),
  document_type: z.string().optional(),
  result_comment: z.string().optional(),
});

export interface IdentomatSimulatorOptions extends SimulatorOptions {
  /** the sandbox's clock (tests move it to age tokens past their 15 minutes) */
  now?: () => Date;
}

export const createIdentomatSimulator: SimulatorFactory = (opts) => buildIdentomatSimulator(opts);

export function buildIdentomatSimulator(opts: IdentomatSimulatorOptions): Router {
  const now = opts.now ?? (() => new Date());
  const sessions = new Map<string, Session>();
  const router = express.Router();
  const upload = multer({ limits: { fieldSize: 1024 * 1024 } }).none();

  const expired = (s: Session) => now().getTime() - s.createdAt.getTime() > TOKEN_TTL_MS;

  // ---- sandbox control (no faults, no company_key)
  router.get("/_control/sessions/:token", (req, res) => {
    const s = sessions.get(req.params.token);
    if (!s) return res.status(404).json({ error: "SESSION_NOT_FOUND" });
    res.json({
      token: s.token,
      resultCalls: s.resultCalls,
      state: stateAfter(s, s.resultCalls).result,
      magic: s.plan.magic,
      createdAt: s.createdAt.toISOString(),
      tokenExpired: expired(s),
      completedByHand: s.override !== null,
    });
  });
  router.post("/_control/sessions/:token/complete", express.json(), (req, res) => {
    const s = sessions.get(req.params.token);
    if (!s) return res.status(404).json({ error: "SESSION_NOT_FOUND" });
    const parsed = CompleteSchema.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ errors: parsed.error.issues });
    s.override = parsed.data as Override;
    res.json({ ok: true, result: parsed.data.result });
  });

  // ---- vendor API
  router.use(opts.faults.middleware("identomat"));
  router.use(express.json({ verify: captureRaw, limit: "1mb" }));
  router.use(express.urlencoded({ extended: false, verify: captureRaw, limit: "1mb" }));
  router.use((req, res, next) => (req.is("multipart/form-data") ? upload(req, res, next) : next()));

  /** a token's session for this company, or the error the doc names */
  function sessionFor(companyKey: string, token: unknown): Session | "SESSION_INVALID" | "SESSION_NOT_FOUND" {
    if (typeof token !== "string" || !TOKEN_FORMAT.test(token)) return "SESSION_INVALID";
    const s = sessions.get(token);
    if (!s || s.companyKey !== companyKey) return "SESSION_NOT_FOUND";
    return s;
  }

  const begin = (req: Request, res: Response) => {
    const auth = authenticate(req, res);
    if (!auth) return;
    const p = params(req);
    const flagsRaw = jsonParam(p.flags);
    const stepsRaw = jsonParam(p.steps);
    if (!flagsRaw.ok || !stepsRaw.ok) return errorAnswer(res, 400, "INVALID_PARAMETERS");
    const flags = FlagsSchema.safeParse(flagsRaw.value ?? {});
    const steps = stepsRaw.value === undefined ? null : StepsSchema.safeParse(stepsRaw.value);
    if (!flags.success || (steps && !steps.success)) return errorAnswer(res, 400, "INVALID_PARAMETERS");
    const token = newToken();
    const widgetSteps = stepsOf(flags.data);
    sessions.set(token, {
      token,
      companyKey: auth.companyKey,
      flags: flags.data,
      steps: widgetSteps,
      configId: typeof p.config_id === "string" ? p.config_id : null,
      createdAt: now(),
      resultCalls: 0,
      plan: planUnder(planFromReturnUrl(flags.data.return_url), widgetSteps),
      override: null,
    });
    answer(res, auth.secret, token);
  };

  const result = (req: Request, res: Response) => {
    const auth = authenticate(req, res);
    if (!auth) return;
    const s = sessionFor(auth.companyKey, params(req).session_token);
    if (typeof s === "string") return errorAnswer(res, 400, s);
    s.resultCalls += 1;
    const state = stateAfter(s, s.resultCalls);
    // the token is gone before the person finished: the session can no longer complete
    if (state.result === "IN_PROGRESS" && expired(s)) return errorAnswer(res, 400, "SESSION_INVALID");
    answer(res, auth.secret, resultDocument(s, state));
  };

  const remove = (req: Request, res: Response) => {
    const auth = authenticate(req, res);
    if (!auth) return;
    const s = sessionFor(auth.companyKey, params(req).session_token);
    if (typeof s === "string") return errorAnswer(res, 400, s);
    const state = stateAfter(s, s.resultCalls);
    if (state.result === "IN_PROGRESS" && expired(s)) return errorAnswer(res, 400, "SESSION_INVALID");
    sessions.delete(s.token);
    answer(res, auth.secret, resultDocument(s, state));
  };

  for (const [path, handler] of [
    ["/external-api/begin/", begin],
    ["/external-api/result/", result],
    ["/external-api/delete/", remove],
  ] as const) {
    router.get(path, handler);
    router.post(path, handler);
  }

  // the widget page the end user is redirected to (a stand-in: the session finishes by its magic input)
  router.get("/", (req, res) => {
    const token = typeof req.query.session_token === "string" ? req.query.session_token : "";
    const s = sessions.get(token);
    if (!s || expired(s)) return res.status(404).type("text/html").send("<!doctype html><title>Identomat sandbox</title><p>Session not found or expired.</p>");
    const back = typeof s.flags.return_url === "string" ? s.flags.return_url : null;
    const safe = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    res
      .type("text/html")
      .send(
        `<!doctype html><title>Identomat sandbox</title><h1>Identomat sandbox widget</h1>` +
          `<p>This session finishes as <strong>${safe(s.plan.magic)}</strong> after ${s.plan.inProgressPolls} result call(s).</p>` +
          (back ? `<p><a href="${safe(back)}">Return</a></p>` : ""),
      );
  });

  // a body express cannot read is a malformed request, answered in Identomat's error format
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    errorAnswer(res, 400, "INVALID_PARAMETERS");
  });

  return router;
}

/** the sandbox mounts this at /identomat: src/sandbox/simulators.ts finds every folder's `simulator` */
export const simulator: SimulatorFactory = createIdentomatSimulator;
