import { describe, expect, it } from "vitest";
import { shareidAdapter } from "../../../../src/adapters/shareid/index.js";
import { sniffImageType } from "../../../../src/domain/image-type.js";
import type { ImageInput, VerificationInputData } from "../../../../src/adapters/types.js";
import { makeAccount } from "../../../support/adapter-harness.js";
import { jpeg, pdf, png, webp } from "./images.js";

const account = makeAccount("shareid", { credentials: { apiKey: "k", businessHash: "h" } });
const validate = (input: VerificationInputData, checks: ("document" | "liveness" | "face_match")[] = ["document"]) =>
  shareidAdapter.validateRequest!(input, checks, account);
const withImages = (images: ImageInput[], extra: Partial<VerificationInputData> = {}): VerificationInputData => ({
  subject: { firstName: "Jean", lastName: "Dupont" },
  document: { type: "id_card", country: "FR", images },
  ...extra,
});
const front = (data: Buffer, contentType = "image/png"): ImageInput => ({ side: "front", contentType, data });

describe("ShareID validateRequest", () => {
  it("accepts one or two good images of each accepted type", () => {
    expect(validate(withImages([front(png(224, 224)), front(jpeg(300, 400), "image/jpeg")]))).toEqual([]);
    expect(validate(withImages([front(webp(640, 480), "image/webp"), front(pdf(), "application/pdf")]))).toEqual([]);
    expect(validate(withImages([front(png(300, 300), "image/PNG; charset=binary")]))).toEqual([]);
  });

  it("refuses more than 2 documents (422)", () => {
    const img = png(300, 300);
    expect(validate(withImages([front(img), front(img), front(img)]))).toEqual([
      { path: "document.images", status: 422, message: expect.stringContaining("at most 2") },
    ]);
  });

  it("refuses more than 10 MB in all (413)", () => {
    const big = Buffer.concat([pdf(), Buffer.alloc(5_000_001)]);
    expect(validate(withImages([front(big, "application/pdf"), front(big, "application/pdf")]))).toEqual([
      { path: "document.images", status: 413, message: expect.stringContaining("10000000") },
    ]);
    const justUnder = Buffer.concat([pdf(), Buffer.alloc(5_000_000 - pdf().length)]);
    expect(validate(withImages([front(justUnder, "application/pdf"), front(justUnder, "application/pdf")]))).toEqual([]);
  });

  it("refuses a type other than PNG, JPEG, WEBP or PDF (415)", () => {
    expect(validate(withImages([front(png(300, 300)), front(Buffer.from("GIF89a....."), "image/gif")]))).toEqual([
      { path: "document.images[1].contentType", status: 415, message: expect.any(String) },
    ]);
  });

  it("refuses a declared type the bytes contradict (415)", () => {
    expect(validate(withImages([front(png(300, 300), "image/jpeg")]))).toEqual([
      { path: "document.images[0].data", status: 415, message: "the bytes are image/png, not the declared image/jpeg" },
    ]);
    expect(validate(withImages([front(Buffer.from("plain text, no magic"), "application/pdf")]))).toEqual([
      { path: "document.images[0].data", status: 415, message: "the bytes are not a supported type, not the declared application/pdf" },
    ]);
  });

  it("refuses images under 224 x 224 pixels (422), one side is enough, PDFs skip the check", () => {
    expect(validate(withImages([front(png(223, 500)), front(jpeg(500, 100), "image/jpeg")]))).toEqual([
      { path: "document.images[0].data", status: 422, message: "image is 223x500 px, ShareID needs at least 224x224" },
      { path: "document.images[1].data", status: 422, message: "image is 500x100 px, ShareID needs at least 224x224" },
    ]);
    expect(validate(withImages([front(webp(100, 100), "image/webp")]))).toEqual([
      { path: "document.images[0].data", status: 422, message: expect.stringContaining("100x100") },
    ]);
    expect(validate(withImages([front(pdf(), "application/pdf")]))).toEqual([]);
  });

  it("refuses an image whose size cannot be read or that is empty (422)", () => {
    const headerOnly = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);
    expect(validate(withImages([front(headerOnly, "image/jpeg")]))).toEqual([
      { path: "document.images[0].data", status: 422, message: "the image's pixel size cannot be read" },
    ]);
    expect(validate(withImages([front(Buffer.alloc(0))]))).toEqual([{ path: "document.images[0].data", status: 422, message: "image is empty" }]);
  });

  it("refuses tags outside ^[a-z0-9_]{4,16}$ (400), naming each bad tag's position", () => {
    const input = withImages([front(png(300, 300))], { tags: ["onboarding", "abc", "UPPER_case", "way_too_long_tag_1", "ok_42"] });
    expect(validate(input)).toEqual([
      { path: "tags[1]", status: 400, message: expect.any(String) },
      { path: "tags[2]", status: 400, message: expect.any(String) },
      { path: "tags[3]", status: 400, message: expect.any(String) },
    ]);
  });

  it("needs a document image and refuses checks ShareID does not do", () => {
    expect(validate({ subject: { lastName: "Dupont" } })).toEqual([{ path: "document", status: 422, message: expect.any(String) }]);
    expect(validate(withImages([]))).toEqual([{ path: "document.images", status: 422, message: expect.any(String) }]);
    expect(validate(withImages([front(png(300, 300))]), ["document", "liveness"])).toEqual([
      { path: "checks", status: 422, message: "ShareID performs the document check only, not liveness" },
    ]);
  });

  it("refuses a country that is not ISO 3166-1 (400)", () => {
    expect(validate({ document: { country: "XX", images: [front(png(300, 300))] } })).toEqual([
      { path: "document.country", status: 400, message: expect.any(String) },
    ]);
  });

  it("never puts personal data or tag values in a message", () => {
    const problems = validate(withImages([front(png(10, 10))], { subject: { firstName: "Zorglub", lastName: "Quixotic" }, tags: ["SECRET-TAG"] }));
    expect(problems.length).toBe(2);
    expect(JSON.stringify(problems)).not.toMatch(/Zorglub|Quixotic|SECRET-TAG/);
  });

  it.each([
    ["png", png(1, 1), "image/png"],
    ["jpeg", jpeg(1, 1), "image/jpeg"],
    ["webp", webp(1, 1), "image/webp"],
    ["pdf", pdf(), "application/pdf"],
    ["gif", Buffer.from("GIF89a....."), null],
  ])("sniffs %s magic bytes", (_name, bytes, mime) => {
    expect(sniffImageType(bytes)).toBe(mime);
  });
});
