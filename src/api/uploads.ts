// Multipart uploads stream to temporary files (multer's disk storage), never into memory: a request
// holds one small parser buffer per part however large its images are. The files live in a private
// directory and are removed when the response ends, whatever happened (multer removes them itself
// when it aborts a request). Every parser error is a 400/413 problem naming the part.
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import multer from "multer";
import { Problem } from "./problem.js";

export interface UploadLimits {
  /** per file part */
  maxFileBytes: number;
  files: number;
  fields: number;
  /** per text field (the `request` JSON part) */
  fieldBytes: number;
  parts: number;
  /** where temporary files go; a directory only this process's user can read (they hold images) */
  dir?: string;
}

export const UPLOAD_DIR = join(tmpdir(), "kyc-gateway-uploads");

/** A file part as stored on disk by the parser. */
export type Upload = Pick<Express.Multer.File, "fieldname" | "mimetype" | "size" | "path">;

const MULTER_MESSAGES: Record<string, string> = {
  LIMIT_PART_COUNT: "too many parts",
  LIMIT_FILE_COUNT: "too many files",
  LIMIT_FIELD_KEY: "part name too long",
  LIMIT_FIELD_COUNT: "too many fields",
  LIMIT_UNEXPECTED_FILE: "unexpected file part",
  MISSING_FIELD_NAME: "part without a name",
  INVALID_FIELD_NAME: "invalid part name",
  LIMIT_FIELD_NESTING: "part name nested too deep",
  LIMIT_FIELD_ARRAY_INDEX: "part name index too large",
};

/** multer's and busboy's errors as problems; anything else (a disk error) is ours and passes on. */
export function multipartProblem(err: unknown): Problem | null {
  if (err instanceof multer.MulterError) {
    const code: string = err.code;
    const path = err.field !== undefined ? `$.${err.field}` : "$";
    if (code === "LIMIT_FILE_SIZE" || code === "LIMIT_FIELD_VALUE")
      return new Problem(413, "Payload too large", `part ${err.field ?? "(unnamed)"} is larger than allowed`, [{ path, message: "too large" }]);
    if (code === "STREAM_DESTROYED") return null;
    const message = MULTER_MESSAGES[code] ?? code;
    return new Problem(400, "Invalid multipart body", `${path}: ${message}`, [{ path, message }]);
  }
  // busboy's framing errors ("Multipart: Boundary not found", "Malformed part header", "Unexpected end
  // of form", ...) are plain errors without a system call; a disk error has one
  if (err instanceof Error && !(err as NodeJS.ErrnoException).syscall) {
    const message = `malformed multipart body: ${err.message.slice(0, 100)}`;
    return new Problem(400, "Invalid multipart body", message, [{ path: "$", message }]);
  }
  return null;
}

function removeWhenDone(req: Request, res: Response): void {
  res.once("close", () => {
    // a file multer already removed (an aborted request) has no path any more
    for (const f of uploadsOf(req)) if (typeof f.path === "string") rm(f.path, { force: true }).catch(() => undefined);
  });
}

/** multipart/form-data to `req.body` (text fields) and `req.files` (temporary files); other bodies pass. */
export function multipartUploads(limits: UploadLimits): RequestHandler {
  const dir = limits.dir ?? UPLOAD_DIR;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const upload = multer({
    storage: multer.diskStorage({ destination: dir }),
    limits: { fileSize: limits.maxFileBytes, files: limits.files, fields: limits.fields, fieldSize: limits.fieldBytes, parts: limits.parts },
  }).any();
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.is("multipart/form-data")) return next();
    removeWhenDone(req, res);
    upload(req, res, (err?: unknown) => {
      if (!err) return next();
      next(multipartProblem(err) ?? err);
    });
  };
}

export function uploadsOf(req: Request): Upload[] {
  return Array.isArray(req.files) ? req.files : [];
}

/** The bytes of an upload, read once (the one in-memory copy the sealed input is made from). */
export function readUpload(upload: Upload): Promise<Buffer> {
  return readFile(upload.path);
}

/** hex sha256 of an upload, streamed from its file */
export async function sha256OfUpload(upload: Upload): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(upload.path), hash);
  return hash.digest("hex");
}
