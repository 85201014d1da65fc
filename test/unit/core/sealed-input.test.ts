// Issue 13: a sealed input carries its images' bytes as they are, not base64 inside its JSON (four copies of every
// image on the way in); inputs sealed in the earlier format still open.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openInput, sealInput } from "../../../src/core/verifications.js";
import { decryptBytes, encryptBytes } from "../../../src/domain/crypto.js";
import { AAD } from "../../../src/core/at-rest.js";
import type { VerificationInputData } from "../../../src/adapters/types.js";

const key = randomBytes(32);
const front = randomBytes(300_000);
const back = randomBytes(1_000);
const selfie = randomBytes(200_000);
const input: VerificationInputData = {
  subject: { firstName: "Juan", lastName: "Aparicio Lopez", documentNumber: "00000000T" },
  document: {
    type: "id_card",
    country: "ES",
    images: [
      { side: "front", contentType: "image/jpeg", data: front },
      { side: "back", contentType: "image/png", data: back },
    ],
  },
  selfie: { contentType: "image/jpeg", data: selfie },
  tags: ["a"],
};

describe("sealed input", () => {
  it("opens to what was sealed, every image byte for byte", () => {
    const opened = openInput(key, "ver_1", sealInput(key, "ver_1", input));
    expect(opened).toEqual(input);
    expect(opened.document?.images[0]?.data.equals(front)).toBe(true);
    expect(opened.selfie?.data.equals(selfie)).toBe(true);
  });

  it("holds the images as bytes: its size is the images' plus a small JSON, not a third more for base64", () => {
    const sealed = sealInput(key, "ver_1", input);
    const images = front.length + back.length + selfie.length;
    expect(sealed.length).toBeGreaterThan(images);
    expect(sealed.length).toBeLessThan(images + 1_000);
    const plain = decryptBytes(key, sealed, AAD.input("ver_1"));
    expect(plain.includes(front)).toBe(true);
    expect(plain.toString("latin1")).not.toContain(front.subarray(0, 48).toString("base64"));
  });

  it("is bound to its verification", () => {
    expect(() => openInput(key, "ver_2", sealInput(key, "ver_1", input))).toThrow();
  });

  it("opens an input sealed in the earlier format (JSON with base64 images)", () => {
    const b64 = (i: { side?: string; contentType: string; data: Buffer }) => ({ side: i.side, contentType: i.contentType, data: i.data.toString("base64") });
    const legacy = {
      ...input,
      document: { ...input.document!, images: input.document!.images.map(b64) },
      selfie: b64(input.selfie!),
    };
    const sealed = encryptBytes(key, Buffer.from(JSON.stringify(legacy)), AAD.input("ver_old"));
    expect(openInput(key, "ver_old", sealed)).toEqual(input);
  });

  it("an input with no images, and one erased to nothing, open too", () => {
    const bare: VerificationInputData = { subject: { firstName: "A" }, hosted: { returnUrl: "https://example.com/r" } };
    expect(openInput(key, "v", sealInput(key, "v", bare))).toEqual(bare);
    expect(openInput(key, "v", sealInput(key, "v", {}))).toEqual({});
  });
});
