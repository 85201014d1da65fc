// Decision faults of the IDENTY adapter, against the IWS simulator: a selfie the gateway sends
// is the 480x640 the IWS asks for (no 901 for the end user), integration codes are technical,
// and a capture failing the quality check is a user-fixable reason (a retake).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import nock from "nock";
import pino from "pino";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import { sizeSelfieForMatch } from "../../../../src/adapters/identy/client.js";
import type { Outcome, VerificationInputData } from "../../../../src/adapters/types.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { isRetakeable } from "../../../../src/core/policy.js";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { createIdentySimulator } from "../../../../src/sandbox/identy/simulator.js";
import { fakeJpeg, makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const faults = new FaultInjector(500);
let server: Server;
let base: string;
beforeAll(async () => {
  const app = express().use("/identy", createIdentySimulator({ faults, log: pino({ level: "silent" }) }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => nock.cleanAll());
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const photo = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 180, g: 140, b: 120 } } })
    .jpeg()
    .toBuffer();

async function start(input: VerificationInputData, checks: CheckName[], baseUrl = `${base}/identy`) {
  const acc = makeAccount("identy", { baseUrl });
  const v = makeVerification(input, checks);
  const h = makeHarness(acc, v.id);
  const outcome = await identyAdapter.start(v, acc, h.ctx).catch((e: unknown) => e as Error);
  return { outcome, h };
}
const done = (o: Outcome | Error) => {
  if (o instanceof Error || o.status !== "completed") throw new Error(`expected completed, got ${o instanceof Error ? o.message : o.status}`);
  return o;
};

describe("the selfie the gateway sends is what the IWS asks for", () => {
  it.each([
    [800, 600],
    [1080, 1920],
    [320, 240],
  ])("a %ix%i selfie is sent as 480x640 and matched (no 901 for the end user)", async (width, height) => {
    const selfie = { contentType: "image/jpeg", data: await photo(width, height) };
    const portrait = { side: "front" as const, contentType: "image/jpeg", data: fakeJpeg("portrait") };
    const { outcome } = await start({ selfie, document: { images: [portrait] } }, ["face_match"]);
    const o = done(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass" });
  });

  it("a 480x640 selfie is sent as it is; any other is sized to 480x640 in its own format", async () => {
    const exact = await photo(480, 640);
    const kept = await sizeSelfieForMatch(exact, "JPEG");
    expect(kept.resized).toBe(false);
    expect(kept.data.equals(exact)).toBe(true);
    const sized = await sizeSelfieForMatch(
      await sharp({ create: { width: 1000, height: 500, channels: 3, background: "#888" } })
        .png()
        .toBuffer(),
      "PNG",
    );
    expect(sized.resized).toBe(true);
    expect(await sharp(sized.data).metadata()).toMatchObject({ width: 480, height: 640, format: "png" });
  });

  it("the simulator refuses an image.template that is not 480x640 with 901, as the IWS does", async () => {
    const res = await fetch(`${base}/identy/api/v1/matchWithPictureId`, {
      method: "POST",
      headers: { "content-type": "application/json", referer: "https://gateway.test/" },
      body: JSON.stringify({
        image: { template: (await photo(800, 600)).toString("base64"), format: "JPEG" },
        imageToVerifyAgainst: { template: fakeJpeg("portrait").toString("base64"), format: "JPEG" },
        level: "HIGH",
      }),
    });
    expect(JSON.parse(await res.text())).toMatchObject({ feedbackCode: expect.any(String) });
    expect(res.status).toBe(400);
  });
});

describe("a capture failing the quality check", () => {
  it("qc_passed: false on a live capture is image_low_quality, retakeable", async () => {
    const body = {
      refid: "W-face-process-qc",
      code: 200,
      message: "FEEDBACK_CAPTURED",
      data: { as_highest_security_level_reached: "HIGHEST", quality: { quality_metric: 21.5, qc_passed: false, eyes_status: "OPEN" }, templates: {} },
      icao_data: { multiple_faces: false },
    };
    nock("http://iws.test").post("/api/v1/process").reply(200, body);
    const { outcome } = await start({ faceCapture: { identyBlob: Buffer.from("IDENTY-SDK-BLOB").toString("base64") } }, ["liveness"], "http://iws.test");
    const o = done(outcome);
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["image_low_quality", "qc_passed=false"]]);
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", level: "HIGHEST" });
    expect(isRetakeable(o)).toBe(true);
  });

  it("a spoof verdict with quality: false is retakeable; a spoof on a good capture is not", async () => {
    nock("http://iws.test").post("/api/v1/process").reply(400, { code: 401, message: "FEEDBACK_RETRY", refid: "r1", quality: false });
    const poor = done((await start({ faceCapture: { identyBlob: Buffer.from("b").toString("base64") } }, ["liveness"], "http://iws.test")).outcome);
    expect(isRetakeable(poor)).toBe(true);
    nock("http://iws.test").post("/api/v1/process").reply(400, { code: 401, message: "FEEDBACK_RETRY", refid: "r2", quality: true });
    const good = done((await start({ faceCapture: { identyBlob: Buffer.from("b").toString("base64") } }, ["liveness"], "http://iws.test")).outcome);
    expect(isRetakeable(good)).toBe(false);
  });
});
