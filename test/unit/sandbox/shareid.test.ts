// The ShareID simulator on its own: the doc's request format, limits, errors and result shape.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FaultInjector } from "../../../src/sandbox/faults.js";
import { createShareidSimulator, DOCUMENTED_REASONS, MAGIC_INPUTS, SANDBOX_API_KEY, SANDBOX_BUSINESS_HASH } from "../../../src/sandbox/shareid/simulator.js";
import { jpeg, pdf, png, webp } from "../adapters/shareid/images.js";

const faults = new FaultInjector(2_000);
let server: Server;
let url: string;

beforeAll(async () => {
  server = express()
    .use("/shareid", createShareidSimulator({ faults, log: pino({ level: "silent" }) }))
    .listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/shareid/flow/authenticity/photo`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => faults.clear());

interface Photo {
  name: string;
  type: string;
  data: Buffer;
}
const creds = { api_key: SANDBOX_API_KEY, business_hash: SANDBOX_BUSINESS_HASH };
const goodPhoto = (name = "front.png"): Photo => ({ name, type: "image/png", data: png(300, 300) });

async function post(data: unknown, photos: Photo[] = [goodPhoto()], field = "photos") {
  const form = new FormData();
  if (data !== undefined) form.append("data", typeof data === "string" ? data : JSON.stringify(data));
  for (const p of photos) form.append(field, new Blob([new Uint8Array(p.data)], { type: p.type }), p.name);
  const res = await fetch(url, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("ShareID simulator: result shape", () => {
  it('default: verdict true, reason "", the doc\'s eight fields, ocr from the names', async () => {
    const { status, body } = await post({
      ...creds,
      doc_type: "passport",
      country_code: "es",
      first_name: "Juan",
      last_name: "Aparicio Lopez",
      tags: ["onboarding"],
    });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["country_code", "doc_model", "doc_type", "flow_id", "ocr", "reason", "security", "verdict"]);
    expect(body).toMatchObject({ doc_type: "passport", country_code: "es", reason: "", verdict: true });
    expect(body.ocr).toMatchObject({ name: "JUAN", surname: "APARICIO LOPEZ", nationality: "ESP" });
    expect(Object.keys(body.ocr as object).sort()).toEqual([
      "address",
      "birth_date",
      "birth_place",
      "doc_num",
      "expiration_date",
      "issuance_date",
      "name",
      "nationality",
      "sex",
      "surname",
    ]);
    expect(body.security).toEqual({ mrz_vs_viz: true, printing_technique: true, integrated_photo: null, streaks_around_the_card: true, info_coherence: true });
    expect(typeof body.flow_id).toBe("string");
  });

  it("last_name Aparicio Lopez (any case): the README example subject's ocr; another last name keeps the default's", async () => {
    const juan = await post({ ...creds, doc_type: "id_card", country_code: "es", first_name: "Juan", last_name: "Aparicio Lopez" });
    expect(juan.body).toMatchObject({ verdict: true, reason: "", doc_type: "id_card", country_code: "es" });
    expect(juan.body.ocr).toMatchObject({
      name: "JUAN",
      surname: "APARICIO LOPEZ",
      birth_date: "1955-12-18",
      doc_num: "00000000T",
      sex: "M",
      nationality: "ESP",
    });
    const other = await post({ ...creds, first_name: "Jean", last_name: "Dupont" });
    expect(other.body.ocr).toMatchObject({ name: "JEAN", surname: "DUPONT", birth_date: "1990-04-12", doc_num: "SBX0000001" });
  });

  it("accepts the doc's curl example (two PNG photos, data with first_name only) with sandbox credentials", async () => {
    const curl = readFileSync(new URL("../../../src/adapters/shareid/fixtures/curl-example.txt", import.meta.url), "utf8");
    const dataJson = /data=(\{.*?\})'/
      .exec(curl)![1]!
      .replace('"api_key":"***"', `"api_key":"${SANDBOX_API_KEY}"`)
      .replace('"business_hash":"***"', `"business_hash":"${SANDBOX_BUSINESS_HASH}"`);
    const names = [...curl.matchAll(/photos=@([^;]+);type=([^"]+)"/g)].map((m) => ({ name: m[1]!, type: m[2]! }));
    expect(names).toEqual([
      { name: "user_permit_6783_recto.png", type: "image/png" },
      { name: "user_permit_6783_verso.png", type: "image/png" },
    ]);
    const { status, body } = await post(
      dataJson,
      names.map((n) => ({ ...n, data: png(300, 300) })),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ verdict: true, reason: "", doc_type: "id_card", country_code: "fr" });
    expect(body.ocr).toMatchObject({ name: "ROBERT" });
  });

  it("accepts JPEG (.jpg and .jpeg), WEBP and PDF uploads", async () => {
    for (const photo of [
      { name: "a.jpg", type: "image/jpeg", data: jpeg(300, 300) },
      { name: "a.JPEG", type: "image/jpeg", data: jpeg(300, 300) },
      { name: "a.webp", type: "image/webp", data: webp(300, 300) },
      { name: "a.pdf", type: "application/pdf", data: pdf() },
    ])
      expect((await post(creds, [photo])).body).toMatchObject({ verdict: true, reason: "" });
  });

  it("an image under 224 x 224 px gives low_resolution, an unreadable one missing_doc", async () => {
    expect((await post(creds, [{ name: "s.png", type: "image/png", data: png(223, 400) }])).body).toMatchObject({ verdict: false, reason: "low_resolution" });
    expect((await post(creds, [{ name: "s.jpg", type: "image/jpeg", data: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) }])).body).toMatchObject({
      verdict: false,
      reason: "missing_doc",
      doc_type: "",
      ocr: {},
    });
  });
});

describe("ShareID simulator: magic inputs", () => {
  it("lists every documented reason plus the combined and timeout inputs", () => {
    expect(DOCUMENTED_REASONS).toHaveLength(22);
    for (const r of DOCUMENTED_REASONS) expect(MAGIC_INPUTS.map((m) => m.input)).toContain(r.toUpperCase());
    expect(MAGIC_INPUTS.map((m) => m.input)).toEqual(expect.arrayContaining(["DOC_EXPIRED+WRONG_MRZ", "FREE_TEXT", "TIMEOUT", "TIMEOUT_ONCE"]));
  });

  it.each(MAGIC_INPUTS.filter((m) => m.httpStatus === 200).map((m) => [m.input, m] as const))("last_name %s answers as documented", async (_input, magic) => {
    const { status, body } = await post({ ...creds, last_name: magic.input });
    expect(status).toBe(200);
    expect(body).toMatchObject({ verdict: magic.verdict, reason: magic.reason });
  });

  it("spot checks written out: DOC_EXPIRED, DOC_AUTH, the combined input", async () => {
    expect((await post({ ...creds, last_name: "DOC_EXPIRED" })).body).toMatchObject({ verdict: false, reason: "doc_expired" });
    expect((await post({ ...creds, last_name: "DOC_AUTH" })).body).toMatchObject({ verdict: true, reason: "doc_auth" });
    expect((await post({ ...creds, last_name: "DOC_EXPIRED+WRONG_MRZ" })).body).toMatchObject({ verdict: false, reason: "doc_expired or wrong_mrz" });
    // a free-text reason, as ShareID's "reason: string" may carry
    expect((await post({ ...creds, last_name: "FREE_TEXT" })).body).toMatchObject({ verdict: false, reason: "Document expired" });
    // magic is exact and uppercase
    expect((await post({ ...creds, last_name: "doc_expired" })).body).toMatchObject({ verdict: true, reason: "" });
  });

  it("INVERSED_NAME and the name mismatches show in the ocr", async () => {
    expect((await post({ ...creds, first_name: "Jean", last_name: "INVERSED_NAME" })).body.ocr).toMatchObject({ name: "INVERSED_NAME", surname: "JEAN" });
    expect((await post({ ...creds, first_name: "Jean", last_name: "FIRST_NAME_MISMATCH" })).body.ocr).toMatchObject({ name: "DOMINIQUE" });
    expect((await post({ ...creds, first_name: "Jean", last_name: "NAME_NOT_EXTRACTED" })).body.ocr).not.toHaveProperty("name");
  });

  it("TIMEOUT answers 408 every time; TIMEOUT_ONCE once per set of photos", async () => {
    expect((await post({ ...creds, last_name: "TIMEOUT" })).status).toBe(408);
    expect((await post({ ...creds, last_name: "TIMEOUT" })).status).toBe(408);
    const photo = { name: "once.png", type: "image/png", data: png(300, 300, 7) };
    expect((await post({ ...creds, last_name: "TIMEOUT_ONCE" }, [photo])).status).toBe(408);
    expect((await post({ ...creds, last_name: "TIMEOUT_ONCE" }, [photo])).body).toMatchObject({ verdict: true });
  });
});

describe("ShareID simulator: authentication and the doc's limits", () => {
  it("401 for credentials other than the sandbox's, 400 when one is missing", async () => {
    expect((await post({ api_key: "nope", business_hash: SANDBOX_BUSINESS_HASH })).status).toBe(401);
    expect((await post({ api_key: SANDBOX_API_KEY, business_hash: "nope" })).status).toBe(401);
    expect((await post({ api_key: SANDBOX_API_KEY })).status).toBe(400);
  });

  it.each([
    ["data missing", undefined],
    ["data not JSON", "{not json"],
    ["data a JSON array", "[1]"],
    ["a doc_type outside the four", { ...creds, doc_type: "driving_license" }],
    ["an uppercase country_code", { ...creds, country_code: "FR" }],
    ["an alpha-3 country_code", { ...creds, country_code: "fra" }],
    ["a tag too short", { ...creds, tags: ["abc"] }],
    ["a tag with uppercase", { ...creds, tags: ["Onboarding"] }],
    ["tags not an array", { ...creds, tags: "onboarding" }],
  ])("400 for %s", async (_label, data) => {
    expect((await post(data)).status).toBe(400);
  });

  it.each([
    ["no photo", [] as Photo[]],
    ["3 photos", [goodPhoto("a.png"), goodPhoto("b.png"), goodPhoto("c.png")]],
    [
      "over 10 MB in all",
      [
        { name: "a.pdf", type: "application/pdf", data: Buffer.alloc(5_000_001) },
        { name: "b.pdf", type: "application/pdf", data: Buffer.alloc(5_000_000) },
      ],
    ],
    ["a file name without extension", [{ name: "front", type: "image/png", data: png(300, 300) }]],
    ["an extension that disagrees with the MIME type", [{ name: "front.jpg", type: "image/png", data: png(300, 300) }]],
    ["a MIME type that is not image/* or application/pdf", [{ name: "front.txt", type: "text/plain", data: Buffer.from("hi") }]],
    ["an image type ShareID does not take", [{ name: "front.gif", type: "image/gif", data: Buffer.from("GIF89a") }]],
  ])("400 for %s", async (_label, photos) => {
    const { status, body } = await post(creds, photos);
    expect(status).toBe(400);
    expect(typeof body.error).toBe("string");
  });

  it("400 for files outside the photos field and for a JSON body", async () => {
    expect((await post(creds, [goodPhoto()], "document")).status).toBe(400);
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: creds }) });
    expect(res.status).toBe(400);
  });

  it("checks the limits after the credentials: 401 wins over a bad photo", async () => {
    expect((await post({ api_key: "nope", business_hash: "nope" }, [])).status).toBe(401);
  });

  it("applies injected faults to its routes", async () => {
    faults.add({ vendor: "shareid", fault: "http_503", times: 1, latencyMs: 0 });
    expect((await post(creds)).status).toBe(503);
    expect((await post(creds)).status).toBe(200);
  });
});
