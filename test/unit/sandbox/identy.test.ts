// The IWS simulator at the HTTP level: paths, body formats, codes and HTTP statuses as the doc gives them.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import axios from "axios";
import express from "express";
import FormData from "form-data";
import pino from "pino";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FaultInjector } from "../../../src/sandbox/faults.js";
import { MAGIC_INPUTS, SIM_MODELS_BYTES, SIM_PUB_KEY_BYTES, createIdentySimulator } from "../../../src/sandbox/identy/simulator.js";
import { sizedJpeg } from "../../support/adapter-harness.js";

const faults = new FaultInjector(200);
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express().use("/identy", createIdentySimulator({ faults, log: pino({ level: "silent" }) }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/identy`;
});
afterEach(() => faults.clear());
afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Answer {
  status: number;
  contentType: string;
  text: string;
  raw: Buffer;
  json: Record<string, unknown>;
}

const REFERER = { Referer: "https://gateway.test/" };

async function post(path: string, data?: FormData | Buffer | string | Record<string, unknown>, headers: Record<string, string> = REFERER): Promise<Answer> {
  const isForm = data instanceof FormData;
  const res = await axios.request({
    method: "POST",
    url: `${base}${path}`,
    data: isForm ? data.getBuffer() : data,
    headers: {
      ...(isForm ? data.getHeaders() : {}),
      ...(data && !isForm && typeof data === "object" && !Buffer.isBuffer(data) ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    responseType: "arraybuffer",
    validateStatus: () => true,
    transformResponse: [(d: unknown) => d],
  });
  const raw = Buffer.from(res.data as ArrayBuffer);
  const text = raw.toString("utf8");
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // left empty: some answers are not JSON on purpose
  }
  return { status: res.status, contentType: String(res.headers["content-type"] ?? ""), text, raw, json };
}

const blob = (marker = "") => Buffer.from(`SDK-BLOB\u0000${marker}`);
function processForm(marker = "", enableQuality?: string) {
  const f = new FormData();
  f.append("file", blob(marker), { filename: "bdata", contentType: "application/octet-stream" });
  if (enableQuality !== undefined) f.append("enableQuality", enableQuality);
  return f;
}
const img = (marker = "") => Buffer.from(`\xff\xd8\xff\xe0-image-${marker}`, "latin1").toString("base64");
function faceAsForm(marker = "", threshold: string | null = "HIGH") {
  const f = new FormData();
  f.append("image", img(marker));
  if (threshold !== null) f.append("threshold", threshold);
  return f;
}
function verifyForm(marker = "", fields: Record<string, string> = {}) {
  const f = new FormData();
  f.append("file", blob(marker), { filename: "bdata", contentType: "application/octet-stream" });
  const all = { picID: img(), template: "PNG", level: "HIGH", ...fields };
  for (const [k, v] of Object.entries(all)) if (v !== "") f.append(k, v);
  return f;
}
const matchBody = (marker = "", over: Record<string, unknown> = {}) => ({
  // image.template: "640 x 480 base64 encoded selfie"
  image: { template: sizedJpeg(`-image-${marker}`).toString("base64"), format: "JPEG" },
  imageToVerifyAgainst: { template: img(), format: "JPEG" },
  level: "HIGH",
  ...over,
});

describe("SDK bootstrap and health endpoints", () => {
  it.each([
    ["/api/v1/models", SIM_MODELS_BYTES],
    ["/api/v1/pub_key", SIM_PUB_KEY_BYTES],
  ])("POST %s serves fixed bytes as application/octet-stream", async (path, bytes) => {
    const a = await post(path, undefined, {});
    expect(a.status).toBe(200);
    expect(a.contentType).toBe("application/octet-stream");
    expect(a.raw.equals(bytes)).toBe(true);
  });

  it("POST /api/v1/time answers the epoch time", async () => {
    const a = await post("/api/v1/time", undefined, {});
    expect(a.contentType).toBe("application/octet-stream");
    expect(Math.abs(Number(a.text) - Date.now())).toBeLessThan(5_000);
  });

  it("GET /api/v1/face_health answers OK", async () => {
    const res = await axios.get(`${base}/api/v1/face_health`, { responseType: "text" });
    expect(res.status).toBe(200);
    expect(res.data).toBe("OK");
  });
});

describe("/api/v1/process", () => {
  it("answers the doc's success shape", async () => {
    const a = await post("/api/v1/process", processForm());
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ code: 200, message: "FEEDBACK_CAPTURED" });
    expect(a.json.refid).toMatch(/^W-face-process-[0-9a-f-]{36}-\d{13}$/);
    const data = a.json.data as Record<string, unknown>;
    expect(data).toMatchObject({
      bits_per_pixel: 8,
      width: 480,
      height: 640,
      channels: 3,
      resolution: "480x640x3",
      as_highest_security_level_reached: "HIGHEST",
    });
    expect(data.quality).toMatchObject({ eyes_status: "OPEN", head_pose_check: true, qc_passed: true });
    expect(Object.keys(data.templates as object).sort()).toEqual(["JPEG", "PNG"]);
    expect(a.json.icao_data).toMatchObject({ multiple_faces: false });
  });

  it("MAGIC:lowqc: a legitimate capture whose qc_passed is false", async () => {
    const a = await post("/api/v1/process", processForm("MAGIC:lowqc"));
    expect(a.json).toMatchObject({ code: 200, message: "FEEDBACK_CAPTURED" });
    expect((a.json.data as Record<string, unknown>).quality).toMatchObject({ qc_passed: false, quality_metric: 12.5 });
  });

  it("enableQuality=false leaves the quality block out", async () => {
    const a = await post("/api/v1/process", processForm("", "false"));
    expect((a.json.data as Record<string, unknown>).quality).toBeUndefined();
  });

  it('without Referer: 501 ERROR_INVALID_JSON "Referer header not found" at HTTP 400', async () => {
    const a = await post("/api/v1/process", processForm(), {});
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ code: 501, message: "ERROR_INVALID_JSON", description: "Referer header not found" });
  });

  it("without the file part: 501 at HTTP 400", async () => {
    const f = new FormData();
    f.append("enableQuality", "true");
    const a = await post("/api/v1/process", f);
    expect([a.status, a.json.code]).toEqual([400, 501]);
  });

  it("MAGIC:spoof: the doc's spoof shape at HTTP 400 (table 9: FEEDBACK_RETRY, HTTP_CODE 400)", async () => {
    const a = await post("/api/v1/process", processForm("MAGIC:spoof"));
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({
      code: 401,
      message: "FEEDBACK_RETRY",
      description: "Something is weird, please try again.",
      quality: true,
      debug: { spoof_score: [0] },
    });
    expect(typeof (a.json.data as { image: unknown }).image).toBe("string");
    expect((await post("/api/v1/process", processForm("MAGIC:spoof_lowquality"))).json.quality).toBe(false);
    expect((await post("/api/v1/process", processForm("MAGIC:insecure"))).json.message).toBe("FEEDBACK_RETRY_INSECURE");
  });

  it.each([
    [401, "FEEDBACK_RETRY", 400],
    [404, "ERROR_CLIENT_NOT_EXISTS", 400],
    [500, "ERROR_SERVER_INTERNAL", 500],
    [501, "ERROR_INVALID_JSON", 400],
    [503, "ERROR_INVALID_IMAGE", 400],
    [504, "ERROR_INVALID_FORMAT", 400],
    [505, "ERROR_INVALID_MATCH_LEVEL", 400],
    [506, "ERROR_INVALID_AS_LEVEL", 400],
    [507, "NO_TEMPLATES_SPECIFIED", 400],
    [509, "ERROR_MULTIPLE_FACES", 400],
    [510, "ERROR_POOR_ICAO_QUALITY", 400],
    [601, "ERROR_DECRYPTION_FAILED", 400],
    [604, "ERROR_REQUEST_EXPIRED", 500],
    [900, "INVALID_IMAGE", 400],
    [901, "ERROR_WRONG_RESOLUTION", 400],
  ])("MAGIC:code=%i -> %s at HTTP %i (and HTTP 200 with MAGIC:http200)", async (code, name, http) => {
    const a = await post("/api/v1/process", processForm(`MAGIC:code=${code}`));
    expect(a.status).toBe(http);
    expect(a.json).toMatchObject({ code, message: name });
    const b = await post("/api/v1/process", processForm(`MAGIC:code=${code} MAGIC:http200`));
    expect(b.status).toBe(200);
    expect(b.json).toMatchObject({ code, message: name });
  });

  it("MAGIC:expired is 604 at HTTP 500", async () => {
    const a = await post("/api/v1/process", processForm("MAGIC:expired"));
    expect([a.status, a.json.code, a.json.message]).toEqual([500, 604, "ERROR_REQUEST_EXPIRED"]);
  });

  it("MAGIC:garbage answers the doc's truncated sample (not JSON)", async () => {
    const a = await post("/api/v1/process", processForm("MAGIC:garbage"));
    expect(a.status).toBe(200);
    expect(() => JSON.parse(a.text)).toThrow();
    expect(a.text).toContain('"message":"FEEDBACK_CAPTURED"');
  });

  it("MAGIC:encrypted answers encrypted_templates {data, key1, key2}", async () => {
    const a = await post("/api/v1/process", processForm("MAGIC:encrypted"));
    const data = a.json.data as { templates?: unknown; encrypted_templates: Record<string, Record<string, string>> };
    expect(data.templates).toBeUndefined();
    expect(Object.keys(data.encrypted_templates).sort()).toEqual(["JPEG", "PNG"]);
    expect(Object.keys(data.encrypted_templates.JPEG!).sort()).toEqual(["data", "key1", "key2"]);
  });

  it("injected faults apply first", async () => {
    faults.add({ vendor: "identy", endpoint: "/api/v1/process", fault: "http_503", times: 1, latencyMs: 0 });
    expect((await post("/api/v1/process", processForm())).status).toBe(503);
    expect((await post("/api/v1/process", processForm())).status).toBe(200);
  });
});

describe("/api/v1/face/as and /api/v1/secure/face/as", () => {
  it("answers {as_highest_security_level_reached, is_spoof, score, error: 0, refid, input.image}", async () => {
    const a = await post("/api/v1/face/as", faceAsForm());
    expect(a.json).toMatchObject({ as_highest_security_level_reached: "HIGHEST", is_spoof: false, error: 0, input: { image: img() } });
    expect(a.json.refid).toMatch(/^W-face-antispoof-/);
  });

  it("threshold: missing or NONE -> 501, unknown -> 506", async () => {
    expect((await post("/api/v1/face/as", faceAsForm("", null))).json).toMatchObject({ error: 501 });
    expect((await post("/api/v1/face/as", faceAsForm("", "NONE"))).json).toMatchObject({ error: 501 });
    // the family's own shape: the code in `error`, no `message` the file never shows there
    expect((await post("/api/v1/face/as", faceAsForm("", "SUPER"))).json).toEqual({
      as_highest_security_level_reached: null,
      error: 506,
      refid: expect.stringMatching(/^W-face-antispoof-/),
    });
  });

  it("MAGIC:level below the threshold is a spoof; at or above is not", async () => {
    expect((await post("/api/v1/face/as", faceAsForm("MAGIC:level=MODERATE", "HIGH"))).json).toMatchObject({
      is_spoof: true,
      as_highest_security_level_reached: "MODERATE",
    });
    expect((await post("/api/v1/face/as", faceAsForm("MAGIC:level=HIGH", "HIGH"))).json).toMatchObject({
      is_spoof: false,
      as_highest_security_level_reached: "HIGH",
    });
  });

  it('MAGIC:badjson answers the doc\'s `"score": 0,12345` style', async () => {
    const a = await post("/api/v1/face/as", faceAsForm("MAGIC:badjson"));
    expect(() => JSON.parse(a.text)).toThrow();
    expect(a.text).toMatch(/"score": 0,12345\n/);
    expect(a.text).toContain('"as_highest_security_level_reached": HIGHEST,');
  });

  it("/secure/face/as takes the BLOB as `file` or `File`", async () => {
    for (const field of ["file", "File"]) {
      const f = new FormData();
      f.append(field, blob("MAGIC:spoof"), { filename: "bdata" });
      expect((await post("/api/v1/secure/face/as", f)).json).toMatchObject({ is_spoof: true, error: 0 });
    }
  });
});

describe("/api/v1/verifyWithPictureId", () => {
  it("answers the /matchWithPictureId shape for a legitimate capture", async () => {
    const a = await post("/api/v1/verifyWithPictureId", verifyForm());
    expect(a.json).toMatchObject({
      code: 200,
      feedbackCode: "FEEDBACK_MATCHED",
      similarityScore: 93,
      possibleMatch: true,
      matchHighestSecurityLevelReached: "HIGHEST",
    });
    expect(a.json.refid).toMatch(/^W-face-VERIFY-/);
  });

  it("answers the /process spoof shape for a spoof", async () => {
    const a = await post("/api/v1/verifyWithPictureId", verifyForm("MAGIC:spoof"));
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ code: 401, message: "FEEDBACK_RETRY" });
    expect(typeof (a.json.data as { image: unknown }).image).toBe("string");
  });

  it.each([
    [{ level: "LOW" }, 505, "ERROR_INVALID_MATCH_LEVEL"],
    [{ template: "GIF" }, 504, "ERROR_INVALID_FORMAT"],
    [{ picID: "" }, 503, "ERROR_INVALID_IMAGE"],
  ])("%j -> %i %s", async (fields, code, name) => {
    const a = await post("/api/v1/verifyWithPictureId", verifyForm("", fields as Record<string, string>));
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ code, feedbackCode: name });
  });

  it("MAGIC:nomatch: possibleMatch false at NONE", async () => {
    expect((await post("/api/v1/verifyWithPictureId", verifyForm("MAGIC:nomatch"))).json).toMatchObject({
      possibleMatch: false,
      similarityScore: 12,
      matchHighestSecurityLevelReached: "NONE",
    });
  });
});

describe("JSON match endpoints", () => {
  it("/matchWithSelfie answers both multiple-face flags, /matchWithPictureId only the selfie's", async () => {
    const selfie = await post("/api/v1/matchWithSelfie", matchBody("MAGIC:multiface"));
    expect(selfie.json).toMatchObject({ code: 200, feedbackCode: "FEEDBACK_MATCHED", multipleFacesImage: true, multipleFacesImageToVerifyAgainst: false });
    // selfie vs selfie: 93 reaches HIGH (90), not VERY_HIGH (95)
    expect(selfie.json.matchHighestSecurityLevelReached).toBe("HIGH");
    const pid = await post("/api/v1/matchWithPictureId", matchBody());
    expect(pid.json).not.toHaveProperty("multipleFacesImageToVerifyAgainst");
    expect(pid.json.matchHighestSecurityLevelReached).toBe("HIGHEST");
  });

  it.each([
    ["not json", "{nope", 501],
    ["missing image", { imageToVerifyAgainst: { template: "eA==", format: "JPEG" }, level: "HIGH" }, 501],
    ["unsupported format", matchBody("", { image: { template: "eA==", format: "GIF" } }), 504],
    ["undecodable template", matchBody("", { image: { template: "!!!", format: "JPEG" } }), 504],
    ["level LOW", matchBody("", { level: "LOW" }), 505],
  ])("%s -> %i at HTTP 400", async (_label, body, code) => {
    const a = await post("/api/v1/matchWithPictureId", typeof body === "string" ? Buffer.from(body) : body, { ...REFERER, "Content-Type": "application/json" });
    expect(a.status).toBe(400);
    expect(a.json.code).toBe(code);
  });

  describe("901 ERROR_WRONG_RESOLUTION: image.template must be the 480x640 selfie", () => {
    const jpegOf = (width: number, height: number) =>
      sharp({ create: { width, height, channels: 3, background: { r: 180, g: 150, b: 120 } } })
        .jpeg()
        .toBuffer();
    const withProbe = (probe: Buffer) => matchBody("", { image: { template: probe.toString("base64"), format: "JPEG" } });

    it.each([
      ["selfie", "/api/v1/matchWithSelfie"],
      ["picture ID", "/api/v1/matchWithPictureId"],
    ])("%s: an 800x600 JPEG is refused with 901 at HTTP 400", async (_label, path) => {
      const a = await post(path, withProbe(await jpegOf(800, 600)));
      expect(a.status).toBe(400);
      expect(a.json).toMatchObject({ code: 901, feedbackCode: "ERROR_WRONG_RESOLUTION" });
    });

    it.each([
      [480, 640],
      [640, 480],
    ])("%ix%i is accepted", async (width, height) => {
      const a = await post("/api/v1/matchWithPictureId", withProbe(await jpegOf(width, height)));
      expect(a.status).toBe(200);
      expect(a.json).toMatchObject({ code: 200, feedbackCode: "FEEDBACK_MATCHED" });
    });

    it('a template whose size cannot be read is no selfie: 504 "(/image/template) unable to decode template: EXCEPTION" (it was matched)', async () => {
      const a = await post("/api/v1/matchWithPictureId", withProbe(Buffer.from("\xff\xd8\xff\xe0 not an image", "latin1")));
      expect(a.status).toBe(400);
      expect(a.json).toMatchObject({ code: 504, feedbackCode: "ERROR_INVALID_FORMAT" });
    });

    it("the ID portrait (imageToVerifyAgainst) may have any size", async () => {
      const portrait = await jpegOf(300, 400);
      const a = await post(
        "/api/v1/matchWithPictureId",
        matchBody("", {
          image: { template: (await jpegOf(480, 640)).toString("base64"), format: "JPEG" },
          imageToVerifyAgainst: { template: portrait.toString("base64"), format: "JPEG" },
        }),
      );
      expect(a.json.code).toBe(200);
    });
  });

  it("MAGIC:similarity follows the doc's working points", async () => {
    const a = await post("/api/v1/matchWithPictureId", matchBody("MAGIC:similarity=85", { level: "VERY_HIGH" }));
    expect(a.json).toMatchObject({ similarityScore: 85, matchHighestSecurityLevelReached: "VERY_HIGH", possibleMatch: true });
    const b = await post("/api/v1/matchWithSelfie", matchBody("MAGIC:similarity=85", { level: "MEDIUM" }));
    expect(b.json).toMatchObject({ similarityScore: 85, matchHighestSecurityLevelReached: "MEDIUM", possibleMatch: true });
  });

  it("MAGIC:badjson answers a bare level word", async () => {
    const a = await post("/api/v1/matchWithSelfie", matchBody("MAGIC:badjson"));
    expect(a.text).toMatch(/"matchHighestSecurityLevelReached": HIGH\n/);
  });

  it("/face/generateTemplateFromImage: 509 for several faces", async () => {
    const a = await post("/api/v1/face/generateTemplateFromImage", { image: img("MAGIC:multiface"), qualityMode: "ENROL" });
    expect(a.json).toMatchObject({ code: 509, feedbackCode: "ERROR_MULTIPLE_FACES" });
  });
});

describe("MAGIC_INPUTS", () => {
  // a stable digest of an answer, without the per-call refid, timestamps and echoed images
  const digest = (a: Answer) =>
    `${a.status} ${a.text
      .replace(/W-face-[A-Za-z0-9]+-[0-9a-f-]+-\d+/g, "R")
      .replace(/"capture_date":"[^"]+"/g, "")
      .replace(/"[A-Za-z0-9+/=]{40,}"/g, '"B"')}`;
  const concrete: Record<string, string> = {
    "MAGIC:level=<LEVEL>": "MAGIC:level=LOW",
    "MAGIC:similarity=<n>": "MAGIC:similarity=50",
    "MAGIC:code=<n>": "MAGIC:code=503",
  };

  it("lists every marker the simulator understands, and each one changes an answer", async () => {
    expect(MAGIC_INPUTS.map((m) => m.input)).toEqual([
      "(no marker)",
      "MAGIC:spoof",
      "MAGIC:spoof_lowquality",
      "MAGIC:insecure",
      "MAGIC:level=<LEVEL>",
      "MAGIC:nomatch",
      "MAGIC:similarity=<n>",
      "MAGIC:multiface",
      "MAGIC:expired",
      "MAGIC:code=<n>",
      "MAGIC:http200",
      "MAGIC:badjson",
      "MAGIC:garbage",
      "MAGIC:lowqc",
      "MAGIC:encrypted",
    ]);
    const plainProcess = digest(await post("/api/v1/process", processForm()));
    const plainVerify = digest(await post("/api/v1/verifyWithPictureId", verifyForm()));
    const errorProcess = digest(await post("/api/v1/process", processForm("MAGIC:code=503")));
    for (const { input } of MAGIC_INPUTS.slice(1)) {
      if (input === "MAGIC:http200") {
        // it only changes error answers
        expect(digest(await post("/api/v1/process", processForm("MAGIC:code=503 MAGIC:http200")))).not.toBe(errorProcess);
        continue;
      }
      const marker = concrete[input] ?? input;
      const p = digest(await post("/api/v1/process", processForm(marker)));
      const v = digest(await post("/api/v1/verifyWithPictureId", verifyForm(marker)));
      expect(p !== plainProcess || v !== plainVerify, input).toBe(true);
    }
  });
});
