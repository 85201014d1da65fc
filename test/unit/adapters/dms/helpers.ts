// Shared bits of the DMS adapter tests: the doc's sample payloads (src/adapters/dms/fixtures),
// an account on a fake base URL, and verification inputs.
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { createDmsSimulator } from "../../../../src/sandbox/dms/simulator.js";
import type { AdapterAccount, ImageInput, VerificationInputData } from "../../../../src/adapters/types.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { fakeJpeg, makeAccount, makeVerification } from "../../../support/adapter-harness.js";

export const BASE = "https://dms.vendor.test";
export const IDV = "/idcard_recognition_v2";
export const LIVE = "/v1/livecheck";
export const API_KEY = "sk_test_unit_key";
export const SECRET_PRIMARY = "whsec_dms_primary_secret";
export const SECRET_STAGED = "whsec_dms_staged_secret";

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../../../../src/adapters/dms/fixtures/${name}`, import.meta.url), "utf8");
}

export function fixtureJson(name: string): any {
  return JSON.parse(fixtureText(name));
}

export function dmsAccount(settings: Record<string, unknown> = {}, overrides: Partial<AdapterAccount> = {}): AdapterAccount {
  return makeAccount("dms", {
    baseUrl: BASE,
    credentials: { apiKey: API_KEY, webhookSecrets: [SECRET_PRIMARY] },
    settings,
    ...overrides,
  });
}

export const FRONT = fakeJpeg("front page");
export const BACK = fakeJpeg("back page");
export const SELFIE = fakeJpeg("selfie");
/** a real base64 portrait, for answers whose Portrait must decode (the doc's is a placeholder) */
export const PORTRAIT = fakeJpeg("portrait");

export function input(opts: { front?: Buffer; back?: Buffer | null; selfie?: Buffer | null } = {}): VerificationInputData {
  const images: ImageInput[] = [{ side: "front", contentType: "image/jpeg", data: opts.front ?? FRONT }];
  if (opts.back) images.push({ side: "back", contentType: "image/jpeg", data: opts.back });
  return {
    document: { type: "driving_license", country: "ES", images },
    ...(opts.selfie === null ? {} : { selfie: { contentType: "image/jpeg", data: opts.selfie ?? SELFIE } }),
  };
}

export function verification(checks: CheckName[], data: VerificationInputData = input()) {
  return makeVerification(data, checks);
}

/** the doc's "Sample response" with a decodable Portrait and optional overrides */
export function documentSample(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...fixtureJson("idcard-recognition-response.json"), Portrait: PORTRAIT.toString("base64"), ...overrides };
}

export function faceDetectionSample(face: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  const sample = fixtureJson("face-detection-response.corrected.json");
  return { ...sample, faces: [{ ...sample.faces[0], ...face }], ...top };
}

/** the DMS simulator on an ephemeral loopback port, mounted at /dms */
export async function startDmsSimulator(): Promise<{ baseUrl: string; faults: FaultInjector; close(): Promise<void> }> {
  const faults = new FaultInjector(200);
  const server = express()
    .use("/dms", createDmsSimulator({ faults, log: pino({ level: "silent" }) }))
    .listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dms`,
    faults,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
