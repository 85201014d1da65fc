// Tenant API: verifications (DESIGN.md "Tenant API").
import express, { type Request, type Router } from "express";
import multer from "multer";
import type { AppContext } from "../app/context.js";
import { adapterFor } from "../adapters/registry.js";
import type { VerificationInputData } from "../adapters/types.js";
import { toAdapterAccount } from "../core/accounts.js";
import { isAccountConfigError } from "../domain/errors.js";
import { newId, sha256Hex } from "../domain/crypto.js";
import { resolveRoute, RoutingSchema } from "../core/routing.js";
import { acceptNewInput, cancelVerification, createVerification, erasePersonalData, NotAccepting, toResource } from "../core/verifications.js";
import { checkImageBytes, decodeBase64Image } from "./images.js";
import { Problem, fromZod } from "./problem.js";
import { CaptureSchema, CreateVerificationSchema, ListQuerySchema, RetakeSchema, type CreateVerificationBody } from "./schemas.js";

const FILE_PARTS: Record<string, { target: "document" | "selfie"; side?: "front" | "back" | "single" }> = {
  document_front: { target: "document", side: "front" },
  document_back: { target: "document", side: "back" },
  document: { target: "document", side: "single" },
  selfie: { target: "selfie" },
};

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

/** JSON body, or multipart with a `request` JSON part and image parts, to one plain body object. */
function readBody(req: Request): unknown {
  if (!req.is("multipart/form-data")) return req.body;
  const raw = (req.body as Record<string, unknown>)?.request;
  if (typeof raw !== "string") throw new Problem(400, "Invalid request", "multipart requests need a `request` part holding the JSON body", [{ path: "$.request", message: "required" }]);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new Problem(400, "Malformed JSON", "the `request` part is not valid JSON", [{ path: "$.request", message: "not valid JSON" }]);
  }
  const files = (req.files as Express.Multer.File[] | undefined) ?? [];
  for (const f of files) {
    const part = FILE_PARTS[f.fieldname];
    if (!part) throw new Problem(400, "Invalid request", `unknown file part ${f.fieldname}`, [{ path: `$.${f.fieldname}`, message: `use one of ${Object.keys(FILE_PARTS).join(", ")}` }]);
    const image = { contentType: f.mimetype, data: f.buffer.toString("base64") };
    if (part.target === "selfie") body.selfie = image;
    else {
      const doc = (body.document ??= {}) as { images?: unknown[] };
      (doc.images ??= []).push({ side: part.side, ...image });
    }
  }
  return body;
}

function toInput(body: CreateVerificationBody, maxImageBytes: number): VerificationInputData {
  const images = (body.document?.images ?? []).map((img, i) => {
    const path = `$.document.images[${i}].data`;
    const data = decodeBase64Image(img.data, path, maxImageBytes);
    checkImageBytes(data, img.contentType, path, maxImageBytes);
    return { side: img.side, contentType: img.contentType, data };
  });
  let selfie;
  if (body.selfie) {
    const data = decodeBase64Image(body.selfie.data, "$.selfie.data", maxImageBytes);
    checkImageBytes(data, body.selfie.contentType, "$.selfie.data", maxImageBytes);
    selfie = { contentType: body.selfie.contentType, data };
  }
  return {
    subject: body.subject,
    document: body.document ? { type: body.document.type, country: body.document.country, images } : undefined,
    selfie,
    faceCapture: body.faceCapture,
    hosted: body.hosted,
    tags: body.tags,
  };
}

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "P2002" || /unique constraint/i.test(String((e as Error).message));

export function verificationRoutes(app: AppContext & { onEnqueued?: () => void }): Router {
  const r = express.Router();
  const configuredAccount = (row: Parameters<typeof toAdapterAccount>[2]) => {
    try {
      return toAdapterAccount(app.env.masterKey, app.env.PUBLIC_BASE_URL, row);
    } catch (e) {
      if (isAccountConfigError(e)) return null;
      throw e;
    }
  };
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: app.env.MAX_IMAGE_BYTES, files: 6, fields: 4, fieldSize: 1024 * 1024, parts: 10 } });
  const maybeMultipart: express.RequestHandler = (req, res, next) => (req.is("multipart/form-data") ? upload.any()(req, res, next) : next());

  r.post("/verifications", maybeMultipart, async (req, res) => {
    const tenantId = req.tenantId!;
    if (!req.is("application/json") && !req.is("multipart/form-data")) throw new Problem(415, "Unsupported media type", "send application/json or multipart/form-data");
    const rawBody = readBody(req);
    const parsed = CreateVerificationSchema.safeParse(rawBody);
    if (!parsed.success) throw fromZod(parsed.error);
    const body = parsed.data;
    const idempotencyKey = req.header("idempotency-key") ?? null;
    if (idempotencyKey !== null && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) throw new Problem(400, "Invalid Idempotency-Key", "1 to 255 characters", [{ path: "header:Idempotency-Key", message: "1 to 255 characters" }]);
    const requestHash = sha256Hex(canonicalJson(body));

    if (idempotencyKey) {
      const existing = await app.db.verification.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
      if (existing) return replay(existing);
    }
    const input = toInput(body, app.env.MAX_IMAGE_BYTES);

    // what the first routed vendor cannot take is refused now, before any vendor call
    const tenant = await app.db.tenant.findUniqueOrThrow({ where: { id: tenantId }, include: { vendorAccounts: true } });
    const route = resolveRoute(RoutingSchema.parse(tenant.routing), tenant.vendorAccounts, { checks: body.checks, country: body.document?.country ?? null, requestedVendor: body.vendor ?? null });
    if (body.vendor && route.length === 0) throw new Problem(422, "Vendor not configured", `the tenant has no active ${body.vendor} account`, [{ path: "$.vendor", message: "no account for this vendor" }]);
    const first = route[0];
    const adapter = first && adapterFor(first.vendor);
    // an account whose stored configuration does not parse is the gateway's fault, not the request's: the worker ends
    // the attempt technical (failed) or falls over to the next account, so nothing is judged against it here
    const account = first && adapter?.validateRequest ? configuredAccount(first) : null;
    if (account && adapter?.validateRequest) {
      const problems = adapter.validateRequest(input, body.checks, account);
      if (problems.length > 0) {
        const status = Math.max(...problems.map((p) => p.status));
        throw new Problem(status, "Request not supported by the vendor", problems.map((p) => `${p.path}: ${p.message}`).join("; "), problems.map((p) => ({ path: p.path.startsWith("$") ? p.path : `$.${p.path}`, message: p.message })));
      }
    }

    const id = newId("ver");
    try {
      const created = await createVerification(app, { id, tenantId, reference: body.reference ?? null, checks: body.checks, requestedVendor: body.vendor ?? null, metadata: body.metadata ?? {}, documentCountry: body.document?.country ?? null, idempotencyKey, requestHash, input });
      app.onEnqueued?.();
      res.status(202).location(`/v1/verifications/${id}`).json(toResource(created));
    } catch (e) {
      if (idempotencyKey && isUniqueViolation(e)) {
        const existing = await app.db.verification.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
        if (existing) return replay(existing);
      }
      throw e;
    }

    function replay(existing: Parameters<typeof toResource>[0]) {
      if (existing.requestHash !== requestHash) throw new Problem(409, "Idempotency-Key reused", "this Idempotency-Key was used with a different request body", [{ path: "header:Idempotency-Key", message: "already used with another body" }]);
      res.status(202).setHeader("Idempotent-Replayed", "true").location(`/v1/verifications/${existing.id}`).json(toResource(existing));
    }
  });

  r.get("/verifications", async (req, res) => {
    const q = ListQuerySchema.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, ["query"]);
    const { reference, status, cursor, limit } = q.data;
    const rows = await app.db.verification.findMany({
      where: { tenantId: req.tenantId!, ...(reference ? { reference } : {}), ...(status ? { status } : {}), ...(cursor ? { id: { lt: cursor } } : {}) },
      orderBy: { id: "desc" },
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    res.json({ data: page.map(toResource), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null });
  });

  const findOwn = async (req: Request) => {
    const v = await app.db.verification.findFirst({ where: { id: String(req.params.id), tenantId: req.tenantId! } });
    if (!v) throw new Problem(404, "Not found", "no such verification");
    return v;
  };

  r.get("/verifications/:id", async (req, res) => {
    res.json(toResource(await findOwn(req)));
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
    res.json({ ...toResource(updated), erasedAt: updated.erasedAt?.toISOString() });
  });

  // the stored vendor payloads, redacted when stored (images, secrets and base64 removed): what the resource does not carry
  r.get("/verifications/:id/vendor-data", async (req, res) => {
    const v = await findOwn(req);
    const rows = await app.db.vendorPayload.findMany({ where: { verificationId: v.id }, orderBy: { id: "asc" }, take: 500 });
    res.json({ data: rows.map((p) => ({ vendor: p.vendor, kind: p.kind, receivedAt: p.createdAt.toISOString(), body: p.body })) });
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
    res.status(200).type(art.contentType).setHeader("Content-Disposition", `attachment; filename="${v.id}.pdf"`).send(Buffer.from(art.data));
  });

  const newInput = (kind: "capture" | "retake") => async (req: Request, res: express.Response) => {
    const v = await findOwn(req);
    let patch: Pick<VerificationInputData, "document" | "selfie" | "faceCapture">;
    if (kind === "capture") {
      const body = CaptureSchema.safeParse(req.body);
      if (!body.success) throw fromZod(body.error);
      patch = { faceCapture: { identyBlob: body.data.identyBlob } };
    } else {
      if (!req.is("application/json") && !req.is("multipart/form-data")) throw new Problem(415, "Unsupported media type", "send application/json or multipart/form-data");
      const raw = readBody(req);
      const body = RetakeSchema.safeParse(raw);
      if (!body.success) throw fromZod(body.error);
      const input = toInput({ checks: ["document"], ...body.data }, app.env.MAX_IMAGE_BYTES);
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

