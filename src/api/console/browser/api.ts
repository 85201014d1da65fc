// The console's calls to the admin API: openapi-fetch typed with the paths of the gateway's
// OpenAPI document (clients/typescript/src/schema.d.ts, generated from the server's zod schemas),
// so a changed route or field is a compile error here.
import createClient from "openapi-fetch";
import type { components, paths } from "../../../../clients/typescript/src/schema.js";

export type Schemas = components["schemas"];
type ProblemBody = Partial<Schemas["Problem"]>;

// never cached, no cookies, no redirect followed; the token goes in each call's Authorization header
export const gateway = createClient<paths>({ headers: { accept: "application/json" }, cache: "no-store", credentials: "omit", redirect: "error" });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody | null,
  ) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
  }
}

// a type alias, not an interface: openapi-fetch's headers option wants an index signature
export type Auth = { authorization: string };
export const bearer = (token: string): Auth => ({ authorization: `Bearer ${token}` });

/** The answer's data, or an ApiError carrying the problem+json body (null when there is none). */
export async function unwrap<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw new ApiError(response.status, error !== null && typeof error === "object" ? (error as ProblemBody) : null);
  return data as T;
}

export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    if (!p) return `The gateway answered HTTP ${err.status}.`;
    const lines = [`${p.title || "Error"} (${err.status})${p.detail ? `: ${p.detail}` : ""}`];
    if (Array.isArray(p.errors) && p.errors.length && !p.detail) for (const e of p.errors) lines.push(`${e.path}: ${e.message}`);
    return lines.join("\n");
  }
  if (err instanceof TypeError) return "Could not reach the gateway (network error).";
  return String((err as Error | undefined)?.message || err);
}

/** A query value: an empty filter box sends nothing (the API refuses empty ids). */
export const opt = <T extends string>(v: string): T | undefined => (v === "" ? undefined : (v as T));
