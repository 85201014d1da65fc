// One gate for what the database and the recursive code behind the routes cannot take, on every
// input the API reads as data: the URL path, the query, the Idempotency-Key header and every parsed
// body (JSON, and the multipart `request` part). Refused here as a 400 naming the field, so that no
// route can reach Postgres with it (a 500) or walk it recursively (a stack overflow, a 500).
import type { NextFunction, Request, Response } from "express";
import { jsonPath, Problem } from "./problem.js";

/**
 * Deepest nesting of objects and arrays a body may have. Far above any real request (metadata is a
 * flat bag of tags in practice) and far below where JSON.stringify, zod and Prisma overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

// NUL: Postgres text and jsonb refuse it. A lone UTF-16 surrogate has no UTF-8 encoding: Postgres
// refuses it in jsonb, and in text it would be stored as U+FFFD, not what was sent.
const UNSTORABLE = /[\0\p{Cs}]/u;

function unstorable(path: string, s: string): Problem | null {
  // native scans first (a body's base64 images are megabytes; the regular expression is 20x slower): only a string
  // that has one of them is searched for which. isWellFormed is Node 20's (ES2024), not in this target's typings
  if (!s.includes("\0") && (s as unknown as { isWellFormed(): boolean }).isWellFormed()) return null;
  const m = UNSTORABLE.exec(s);
  if (!m) return null;
  const what = m[0] === "\0" ? "a NUL character (U+0000)" : "a lone UTF-16 surrogate (not valid Unicode)";
  return new Problem(400, "Invalid request", `${path} contains ${what}, which cannot be stored`, [{ path, message: `contains ${what}` }]);
}

/**
 * Walks a parsed JSON value without recursion: the first string (value or key) that cannot be
 * stored, or nesting deeper than MAX_JSON_DEPTH, is refused with the path where it is.
 */
export function assertStorableJson(value: unknown, prefix: readonly PropertyKey[] = []): void {
  type Node = { value: unknown; key: PropertyKey | null; parent: Node | null; depth: number };
  const pathOf = (n: Node) => {
    const keys: PropertyKey[] = [];
    for (let at: Node | null = n; at?.key != null; at = at.parent) keys.push(at.key);
    return jsonPath([...prefix, ...keys.reverse()]);
  };
  const stack: Node[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === "string") {
      const p = unstorable(pathOf(node), v);
      if (p) throw p;
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (node.depth >= MAX_JSON_DEPTH) {
      const path = pathOf(node);
      throw new Problem(400, "Invalid request", `${path} is nested deeper than ${MAX_JSON_DEPTH} levels`, [
        { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` },
      ]);
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: node, depth: node.depth + 1 });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      const keyNode: Node = { value: child, key: k, parent: node, depth: node.depth + 1 };
      const p = unstorable(pathOf(keyNode), k);
      if (p) throw p;
      stack.push(keyNode);
    }
  }
}

/**
 * The URL path (each segment, percent-decoded as the router will decode it), the query and the
 * Idempotency-Key header: before any route, so ids, references and account ids never reach a query.
 */
export function guardRequestLine(req: Request, _res: Response, next: NextFunction): void {
  const segments = req.path.split("/");
  for (let i = 1; i < segments.length; i++) {
    const path = `path[${i - 1}]`;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segments[i]!);
    } catch {
      return next(new Problem(400, "Invalid request", `${path} is not valid percent-encoding`, [{ path, message: "not valid percent-encoding" }]));
    }
    const p = unstorable(path, decoded);
    if (p) return next(p);
  }
  const key = req.headers["idempotency-key"];
  if (typeof key === "string") {
    const p = unstorable("header:Idempotency-Key", key);
    if (p) return next(p);
  }
  try {
    assertStorableJson(req.query, ["query"]);
  } catch (e) {
    return next(e);
  }
  next();
}

/** After a body parser: the parsed body, before any route reads it. */
export function guardParsedBody(req: Request, _res: Response, next: NextFunction): void {
  // a multipart body's fields are strings checked by the route (the `request` part is JSON read there)
  if (req.body === undefined || Buffer.isBuffer(req.body)) return next();
  try {
    assertStorableJson(req.body);
  } catch (e) {
    return next(e);
  }
  next();
}
