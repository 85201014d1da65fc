// Tenant API: verifications (DESIGN.md "Tenant API").
import express, { type Request, type Response, type Router } from "express";
import type { AppContext } from "../app/context.js";
import { adapterFor } from "../adapters/registry.js";
import type { VerificationInputData } from "../adapters/types.js";
import { tenantForRouting, toAdapterAccount } from "../core/accounts.js";
import { isAccountConfigError } from "../domain/errors.js";
import { newId, sha256Hex } from "../domain/crypto.js";
import { planRoute, RoutingSchema } from "../core/routing.js";
import {
  acceptNewInput,
  cancelVerification,
  createVerification,
  erasePersonalData,
  findVerification,
  listVerifications,
  NotAccepting,
  toResource,
  type VerificationRow,
} from "../core/verifications.js";
import { artifactOf, vendorPayloadOf } from "../core/at-rest.js";
import { checkImageBytes, decodeBase64Image } from "./images.js";
import { ImageMemoryBudget } from "./image-memory.js";
import { assertStorableJson } from "./input-guard.js";
import { answerJson } from "./answer.js";
import { Problem, fromZod } from "./problem.js";
import { QuotaExceeded, noteQuotaRefused, quotaProblemType } from "../core/quotas.js";
import { multipartUploads, readUpload, sha256OfUpload, uploadsOf, type Upload } from "./uploads.js";
import { CaptureSchema, CreateVerificationSchema, ListQuerySchema, RetakeSchema, type CreateVerificationBody } from "./schemas.js";
import type { Answer, ErasedVerificationSchema, VendorDataSchema, VerificationPageSchema } from "./resources.js";
import type { VendorId } from "../domain/model.js";

const FILE_PARTS: Record<string, { target: "document" | "selfie"; side?: "front" | "back" | "single" }> = {
  document_front: { target: "document", side: "front" },
  document_back: { target: "document", side: "back" },
  document: { target: "document", side: "single" },
  selfie: { target: "selfie" },
};

/** 429 naming the quota, with Retry-After at the next UTC midnight (when the quota starts again). */
function quotaProblem(res: Response, e: QuotaExceeded): Problem {
  const midnight = Date.parse(`${e.day}T00:00:00Z`) + 86_400_000;
  res.setHeader("Retry-After", String(Math.max(1, Math.ceil((midnight - Date.now()) / 1000))));
  return new Problem(429, "Quota exceeded", e.message, undefined, quotaProblemType(e.kind));
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/**
 * JSON body, or multipart with a `request` JSON part and image parts, to one plain body object.
 * An image part stands in the body as a token naming its bytes' sha256 (the zod schema sees an image
 * like any other, and the Idempotency-Key hash covers the bytes); its bytes stay on disk until toInput
 * reads them once. A token sent in JSON is not an upload of this request: it fails as base64.
 */
async function readBody(req: Request): Promise<{ body: unknown; uploads: Map<string, Upload> }> {
  const uploads = new Map<string, Upload>();
  if (!req.is("multipart/form-data")) return { body: req.body, uploads };
  const raw = (req.body as Record<string, unknown>)?.request;
  if (typeof raw !== "string")
    throw new Problem(400, "Invalid request", "multipart requests need a `request` part holding the JSON body", [{ path: "$.request", message: "required" }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Problem(400, "Malformed JSON", "the `request` part is not valid JSON", [{ path: "$.request", message: "not valid JSON" }]);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new Problem(400, "Invalid request", "the `request` part must be a JSON object", [{ path: "$.request", message: "must be a JSON object" }]);
  assertStorableJson(parsed);
  const body = parsed as Record<string, unknown>;
  for (const f of uploadsOf(req)) {
    const part = FILE_PARTS[f.fieldname];
    if (!part)
      throw new Problem(400, "Invalid request", `unknown file part ${f.fieldname}`, [
        { path: `$.${f.fieldname}`, message: `use one of ${Object.keys(FILE_PARTS).join(", ")}` },
      ]);
    const token = `${UPLOAD_TOKEN_PREFIX}${await sha256OfUpload(f)}`;
    uploads.set(token, f);
    const image = { contentType: f.mimetype, data: token };
    if (part.target === "selfie") body.selfie = image;
    else {
      // the request part may say anything here: a document that is not an object is zod's to refuse
      const doc = (body.document ??= {}) as { images?: unknown };
      if (doc === null || typeof doc !== "object") continue;
      if (doc.images === undefined) doc.images = [];
      if (Array.isArray(doc.images)) doc.images.push({ side: part.side, ...image });
    }
  }
  return { body, uploads };
}

const UPLOAD_TOKEN_PREFIX = "upload:sha256:";
const UPLOAD_TOKEN_LENGTH = UPLOAD_TOKEN_PREFIX.length + 64;

/**
 * The upload a body's image names, if it is a token. Only a string of a token's length is looked up: a
 * Map lookup hashes its whole key, and a base64 image is kilobytes to megabytes (3.4% of an accept's CPU).
 */
function uploadOf(uploads: Map<string, Upload>, data: string): Upload | undefined {
  return data.length === UPLOAD_TOKEN_LENGTH ? uploads.get(data) : undefined;
}

/** An image's bytes: a multipart upload read from its file, or base64 decoded; size and type checked against the bytes. */
async function imageBytes(img: { contentType: string; data: string }, path: string, uploads: Map<string, Upload>, maxImageBytes: number): Promise<Buffer> {
  const upload = uploadOf(uploads, img.data);
  let data: Buffer;
  if (upload) {
    // the parser already stopped a larger part; this keeps the bound explicit before the read
    if (upload.size > maxImageBytes)
      throw new Problem(413, "Image too large", `${path} is larger than ${maxImageBytes} bytes`, [{ path, message: `larger than ${maxImageBytes} bytes` }]);
    data = await readUpload(upload);
  } else data = decodeBase64Image(img.data, path, maxImageBytes);
  checkImageBytes(data, img.contentType, path, maxImageBytes);
  return data;
}

/** The bytes the request's images will take once decoded: an upload's size, or three quarters of its base64. */
function imageBytesOf(body: CreateVerificationBody, uploads: Map<string, Upload>): number {
  const one = (img: { data: string } | undefined) => (img ? (uploadOf(uploads, img.data)?.size ?? Math.ceil((img.data.length * 3) / 4)) : 0);
  return (body.document?.images ?? []).reduce((sum, img) => sum + one(img), 0) + one(body.selfie);
}

async function toInput(body: CreateVerificationBody, uploads: Map<string, Upload>, maxImageBytes: number): Promise<VerificationInputData> {
  const images = [];
  for (const [i, img] of (body.document?.images ?? []).entries())
    images.push({ side: img.side, contentType: img.contentType, data: await imageBytes(img, `$.document.images[${i}].data`, uploads, maxImageBytes) });
  const selfie = body.selfie
    ? { contentType: body.selfie.contentType, data: await imageBytes(body.selfie, "$.selfie.data", uploads, maxImageBytes) }
    : undefined;
  return {
    subject: body.subject,
    document: body.document ? { type: body.document.type, country: body.document.country, images } : undefined,
    selfie,
    faceCapture: body.faceCapture,
    hosted: body.hosted,
    tags: body.tags,
  };
}

// Prisma's P2002, or Postgres' own 23505 from the plain-SQL create (db/sql.ts)
const isUniqueViolation = (e: unknown) =>
  ["P2002", "23505"].includes(String((e as { code?: string }).code)) || /unique constraint/i.test(String((e as Error).message));

export function verificationRoutes(app: AppContext & { onEnqueued?: () => void }): Router {
  const r = express.Router();
  const configuredAccount = (row: Parameters<typeof toAdapterAccount>[2]) => {
    try {
      return toAdapterAccount(app.env.keys, app.env.PUBLIC_BASE_URL, row);
    } catch (e) {
      if (isAccountConfigError(e)) return null;
      throw e;
    }
  };
  const imageMemory = new ImageMemoryBudget(app.env.ACCEPT_IMAGE_MEMORY_BYTES);
  const maybeMultipart = multipartUploads({
    maxFileBytes: app.env.MAX_IMAGE_BYTES,
    files: 6,
    fields: 4,
    fieldBytes: 1024 * 1024,
    parts: 10,
    dir: app.env.UPLOAD_TMP_DIR,
  });

  r.post("/verifications", maybeMultipart, async (req, res) => {
    const tenantId = req.tenantId!;
    if (!req.is("application/json") && !req.is("multipart/form-data"))
      throw new Problem(415, "Unsupported media type", "send application/json or multipart/form-data");
    const { body: rawBody, uploads } = await readBody(req);
    const parsed = CreateVerificationSchema.safeParse(rawBody);
    if (!parsed.success) throw fromZod(parsed.error);
    const body = parsed.data;
    const idempotencyKey = req.header("idempotency-key") ?? null;
    if (idempotencyKey !== null && (idempotencyKey.length < 1 || idempotencyKey.length > 255))
      throw new Problem(400, "Invalid Idempotency-Key", "1 to 255 characters", [{ path: "header:Idempotency-Key", message: "1 to 255 characters" }]);
    // what a replay of this Idempotency-Key must match; without a key nothing is ever compared, so nothing is hashed
    // (the canonical JSON of a multi-megabyte body and its sha256 were a fifth of the accept's CPU)
    const requestHash = idempotencyKey ? sha256Hex(canonicalJson(body)) : null;

    if (idempotencyKey) {
      const existing = await app.db.verification.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
      if (existing) return replay(existing);
    }
    // from here the images are in memory, decoded, sealed, then in a Postgres message: within the process's budget
    return imageMemory.hold(imageBytesOf(body, uploads), async () => {
      const input = await toInput(body, uploads, app.env.MAX_IMAGE_BYTES);

      // the one routing decision, stored with the verification; what its first vendor cannot take is refused now,
      // before any vendor call
      const id = newId("ver");
      // read with the API key when the key was checked (src/api/tenant-auth.ts), else now
      const tenant = req.routingTenant ?? (await tenantForRouting(app.db, tenantId));
      if (!tenant) throw new Problem(401, "Unauthorized", "unknown or revoked API key");
      const { plan: routePlan, accounts: route } = planRoute(RoutingSchema.parse(tenant.routing), tenant.vendorAccounts, {
        checks: body.checks,
        country: body.document?.country ?? null,
        requestedVendor: body.vendor ?? null,
        verificationId: id,
      });
      if (body.vendor && routePlan.resolved === 0)
        throw new Problem(422, "Vendor not configured", `the tenant has no active ${body.vendor} account`, [
          { path: "$.vendor", message: "no account for this vendor" },
        ]);
      const first = route[0];
      const adapter = first && adapterFor(first.vendor);
      // an account whose stored configuration does not parse is the gateway's fault, not the request's: the worker ends
      // the attempt technical (failed) or falls over to the next account, so nothing is judged against it here
      const account = first && adapter?.validateRequest ? configuredAccount(first) : null;
      if (account && adapter?.validateRequest) {
        const problems = adapter.validateRequest(input, body.checks, account);
        if (problems.length > 0) {
          const status = Math.max(...problems.map((p) => p.status));
          throw new Problem(
            status,
            "Request not supported by the vendor",
            problems.map((p) => `${p.path}: ${p.message}`).join("; "),
            problems.map((p) => ({ path: p.path.startsWith("$") ? p.path : `$.${p.path}`, message: p.message })),
          );
        }
      }

      try {
        const created = await createVerification(app, {
          id,
          tenantId,
          reference: body.reference ?? null,
          checks: body.checks,
          requestedVendor: body.vendor ?? null,
          metadata: body.metadata ?? {},
          documentCountry: body.document?.country ?? null,
          idempotencyKey,
          requestHash,
          input,
          routePlan,
          verificationsPerDay: tenant.verificationsPerDay,
        });
        // no nudge: the statement's own NOTIFY wakes the relays when this process does not publish the job itself
        answerJson(res.location(`/v1/verifications/${id}`), 202, toResource(app.env.keys, created));
      } catch (e) {
        if (e instanceof QuotaExceeded) {
          await noteQuotaRefused(app.db, tenantId, e);
          throw quotaProblem(res, e);
        }
        if (idempotencyKey && isUniqueViolation(e)) {
          const existing = await app.db.verification.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
          if (existing) return replay(existing);
        }
        throw e;
      }
    });

    function replay(existing: VerificationRow) {
      if (existing.requestHash !== requestHash)
        throw new Problem(409, "Idempotency-Key reused", "this Idempotency-Key was used with a different request body", [
          { path: "header:Idempotency-Key", message: "already used with another body" },
        ]);
      answerJson(res.setHeader("Idempotent-Replayed", "true").location(`/v1/verifications/${existing.id}`), 202, toResource(app.env.keys, existing));
    }
  });

  r.get("/verifications", async (req, res) => {
    const q = ListQuerySchema.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, ["query"]);
    const { reference, status, cursor, limit } = q.data;
    const rows = await listVerifications(app.db, req.tenantId!, { reference, status, cursor }, limit + 1);
    const page = rows.slice(0, limit);
    res.json({ data: page.map((v) => toResource(app.env.keys, v)), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null } satisfies Answer<
      typeof VerificationPageSchema
    >);
  });

  const findOwn = async (req: Request) => {
    const v = await findVerification(app.db, req.tenantId!, String(req.params.id));
    if (!v) throw new Problem(404, "Not found", "no such verification");
    return v;
  };

  r.get("/verifications/:id", async (req, res) => {
    res.json(toResource(app.env.keys, await findOwn(req)));
  });

  r.post("/verifications/:id/cancel", async (req, res) => {
    const v = await findOwn(req);
    try {
      const resource = await cancelVerification(app, v.id);
      app.onEnqueued?.();
      res.json(resource);
    } catch (e) {
      if (e instanceof NotAccepting) throw new Problem(409, "Cannot cancel", e.detail);
      throw e;
    }
  });

  r.delete("/verifications/:id/personal-data", async (req, res) => {
    const v = await findOwn(req);
    const updated = await erasePersonalData(app, v.id);
    app.onEnqueued?.();
    res.json({ ...toResource(app.env.keys, updated), erasedAt: updated.erasedAt?.toISOString() } satisfies Answer<typeof ErasedVerificationSchema>);
  });

  // the stored vendor payloads, redacted when stored (images, secrets and base64 removed): what the resource does not carry
  r.get("/verifications/:id/vendor-data", async (req, res) => {
    const v = await findOwn(req);
    const rows = await app.db.vendorPayload.findMany({ where: { verificationId: v.id }, orderBy: { id: "asc" }, take: 500 });
    res.json({
      data: rows.map((p) => ({ vendor: p.vendor as VendorId, kind: p.kind, receivedAt: p.createdAt.toISOString(), body: vendorPayloadOf(app.env.keys, p) })),
    } satisfies Answer<typeof VendorDataSchema>);
  });

  r.get("/verifications/:id/certificate", async (req, res) => {
    const v = await findOwn(req);
    const art = await app.db.verificationArtifact.findUnique({ where: { verificationId_kind: { verificationId: v.id, kind: "certificate" } } });
    if (!art) {
      const followUp = await app.db.followUp.findUnique({ where: { verificationId_name: { verificationId: v.id, name: "certificate" } } });
      if (followUp?.status === "pending") {
        const retryAfter = followUp.nextDueAt ? Math.max(1, Math.ceil((followUp.nextDueAt.getTime() - Date.now()) / 1000)) : 5;
        res.setHeader("Retry-After", String(retryAfter));
        throw new Problem(404, "Not found", `the certificate is being fetched from the vendor (attempt ${followUp.attempts + 1}); try again later`);
      }
      if (followUp?.status === "failed") throw new Problem(404, "Not found", "the vendor's certificate could not be fetched; operations were told");
      throw new Problem(404, "Not found", v.erasedAt ? "the certificate was erased with the personal data" : "this verification has no certificate");
    }
    // a fixed type, never the vendor's (a vendor answering text/html would make it a page of this origin), and no sniffing
    res
      .status(200)
      .type("application/pdf")
      .setHeader("X-Content-Type-Options", "nosniff")
      .setHeader("Content-Disposition", `attachment; filename="${v.id}.pdf"`)
      .send(artifactOf(app.env.keys, art));
  });

  const newInput = (kind: "capture" | "retake") => async (req: Request, res: express.Response) => {
    const v = await findOwn(req);
    let patch: Pick<VerificationInputData, "document" | "selfie" | "faceCapture">;
    if (kind === "capture") {
      const body = CaptureSchema.safeParse(req.body);
      if (!body.success) throw fromZod(body.error);
      patch = { faceCapture: { identyBlob: body.data.identyBlob } };
    } else {
      if (!req.is("application/json") && !req.is("multipart/form-data"))
        throw new Problem(415, "Unsupported media type", "send application/json or multipart/form-data");
      const { body: raw, uploads } = await readBody(req);
      const body = RetakeSchema.safeParse(raw);
      if (!body.success) throw fromZod(body.error);
      const input = await toInput({ checks: ["document"], ...body.data }, uploads, app.env.MAX_IMAGE_BYTES);
      patch = { document: body.data.document ? input.document : undefined, selfie: input.selfie, faceCapture: input.faceCapture };
    }
    try {
      const resource = await acceptNewInput(app, v.id, kind, patch);
      app.onEnqueued?.();
      res.status(202).json(resource);
    } catch (e) {
      if (e instanceof NotAccepting) throw new Problem(409, kind === "capture" ? "No capture expected" : "No retake expected", e.detail);
      throw e;
    }
  };
  r.post("/verifications/:id/capture", newInput("capture"));
  r.post("/verifications/:id/retake", maybeMultipart, newInput("retake"));

  return r;
}
