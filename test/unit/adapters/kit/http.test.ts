// The vendor HTTP kit: what every client shares instead of writing it again.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  basicAuth,
  bearerAuth,
  joinUrl,
  multipartBody,
  parseAnswer,
  parseRetryAfter,
  rowOf,
  statusClassifier,
  vendorErrorFor,
  type VendorResponse,
} from "../../../../src/adapters/kit/http.js";
import type { VendorError } from "../../../../src/domain/errors.js";

const res = (status: number, body: unknown = undefined, headers: Record<string, string> = {}): VendorResponse => {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, rawBody: Buffer.from(text), text, json };
};

describe("joinUrl", () => {
  it.each([
    ["https://v.test", ["VerificarIdentidad"], "https://v.test/VerificarIdentidad"],
    ["https://v.test/", ["/VerificarIdentidad"], "https://v.test/VerificarIdentidad"],
    ["https://v.test//", ["", "face_verify"], "https://v.test/face_verify"],
    ["https://v.test", ["/v1/livecheck", "face_verify"], "https://v.test/v1/livecheck/face_verify"],
    ["https://w.test", ["/external-api/begin/"], "https://w.test/external-api/begin/"],
    ["https://w.test/base", ["/api/v1/process"], "https://w.test/base/api/v1/process"],
    ["https://g.test//", ["/"], "https://g.test/"],
    ["https://g.test", ["/sdk/identy", "tok.en"], "https://g.test/sdk/identy/tok.en"],
  ])("%s + %j = %s", (base, paths, url) => {
    expect(joinUrl(base, ...paths)).toBe(url);
  });
});

describe("auth headers", () => {
  it("Bearer and Basic (UTF-8)", () => {
    expect(bearerAuth("k")).toEqual({ Authorization: "Bearer k" });
    expect(basicAuth("usér", "p:w")).toEqual({ Authorization: `Basic ${Buffer.from("usér:p:w", "utf8").toString("base64")}` });
  });
});

describe("statusClassifier", () => {
  const table = {
    402: { kind: "out_of_credits", retryable: false, message: "quota spent" },
    422: null,
    500: { kind: "unavailable", retryable: true },
  } as const;
  const classify = statusClassifier("dms", table)("face_verify");

  it("2xx and a null row are answers the adapter reads", () => {
    expect(classify(res(200))).toBeNull();
    expect(classify(res(422))).toBeNull();
  });

  it("a listed status gives its row, with the endpoint and the status as vendorCode", () => {
    expect(classify(res(402))).toMatchObject({
      kind: "out_of_credits",
      retryable: false,
      vendor: "dms",
      endpoint: "face_verify",
      httpStatus: 402,
      vendorCode: "402",
      message: "vendor answered 402 (quota spent)",
    });
  });

  it("an unlisted status: the shared table, then its class", () => {
    expect(classify(res(401))).toMatchObject({ kind: "auth", retryable: false });
    expect(classify(res(504))).toMatchObject({ kind: "timeout", retryable: true });
    expect(classify(res(503))).toMatchObject({ kind: "unavailable", retryable: true });
    expect(classify(res(418))).toMatchObject({ kind: "rejected", retryable: false });
    expect(classify(res(302))).toMatchObject({ kind: "rejected", retryable: false });
    const classes = {
      "3xx": { kind: "unavailable", retryable: false },
      "4xx": { kind: "rejected", retryable: false },
      "5xx": { kind: "unavailable", retryable: true },
    } as const;
    // a vendor's own classes take every status its table does not list, before the shared table
    expect(statusClassifier("shareid", {}, { classes })("x")(res(302))).toMatchObject({ kind: "unavailable" });
    expect(statusClassifier("shareid", {}, { classes })("x")(res(504))).toMatchObject({ kind: "unavailable", retryable: true });
  });

  it("a 429 carries its Retry-After (seconds or an HTTP date)", () => {
    expect(classify(res(429, undefined, { "retry-after": "3" }))).toMatchObject({ kind: "rate_limited", retryable: true, retryAfterMs: 3000 });
    const at = new Date(Date.now() + 60_000).toUTCString();
    expect(parseRetryAfter(at)).toBeGreaterThan(55_000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });

  it("a table is read by its own keys only", () => {
    expect(rowOf({ 500: "x" }, "constructor")).toBeUndefined();
    expect(rowOf({ 500: "x" }, 500)).toBe("x");
    expect(rowOf({ 500: "x" }, null)).toBeUndefined();
  });

  it("the vendor's own wording", () => {
    const c = statusClassifier(
      "verificaridentidad",
      { 404: { kind: "rejected", retryable: false } },
      { message: (s, _row, e) => `${e}: vendor answered HTTP ${s}` },
    )("GetCreditos");
    expect(c(res(404))?.message).toBe("GetCreditos: vendor answered HTTP 404");
    // the shared rows keep the shared wording
    expect(c(res(401))?.message).toBe("vendor answered 401 (credentials refused)");
  });
});

describe("multipartBody", () => {
  it("one Buffer (resent intact), fields in order, files with their name and type", () => {
    const body = multipartBody([
      ["data", '{"a":1}'],
      ["photos", { data: Buffer.from("IMG"), filename: "document_1_front.jpg", contentType: "image/jpeg" }],
    ]);
    expect(Buffer.isBuffer(body.data)).toBe(true);
    const text = body.data.toString();
    expect(body.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(text.indexOf('name="data"')).toBeLessThan(text.indexOf('name="photos"; filename="document_1_front.jpg"'));
    expect(text).toContain("Content-Type: image/jpeg");
  });
});

describe("parseAnswer", () => {
  const schema = z.looseObject({ match: z.boolean() });
  it("the parsed answer, recorded", () => {
    const seen: unknown[] = [];
    expect(parseAnswer(res(200, { match: true, extra: 1 }), { vendor: "dms", endpoint: "face_verify", schema, record: (b) => seen.push(b) })).toEqual({
      match: true,
      extra: 1,
    });
    expect(seen).toEqual([{ match: true, extra: 1 }]);
  });

  it("not JSON, or not the documented shape: a parse VendorError naming paths only, the answer recorded as it came", () => {
    const seen: unknown[] = [];
    const notJson = (() => {
      try {
        parseAnswer(res(200, "<html>"), { vendor: "dms", endpoint: "face_verify", schema, record: (b) => seen.push(b), label: "DMS face_verify" });
      } catch (e) {
        return e as VendorError;
      }
    })()!;
    expect(notJson).toMatchObject({ kind: "parse", retryable: false, endpoint: "face_verify", message: "DMS face_verify answer is not JSON" });
    const wrong = (() => {
      try {
        parseAnswer(res(200, { match: "Jane Doe" }), { vendor: "dms", endpoint: "face_verify", schema, record: (b) => seen.push(b), retryable: true });
      } catch (e) {
        return e as VendorError;
      }
    })()!;
    expect(wrong.message).toBe("dms face_verify answer does not have the documented shape (at match)");
    expect(wrong.message).not.toContain("Jane");
    expect(wrong.retryable).toBe(true);
    expect(seen).toEqual([{ status: 200, body: "<html>" }, { match: "Jane Doe" }]);
  });
});

describe("vendorErrorFor", () => {
  it("fills the vendor in", () => {
    expect(vendorErrorFor("identy")({ kind: "parse", retryable: false, message: "m" })).toMatchObject({ vendor: "identy", kind: "parse" });
  });
});
