// decodeBase64Image's native fast path (issue 13: the strict regular expressions were 22% of a 2 MB accept's CPU)
// must take and refuse exactly what the strict path does.
import { describe, expect, it } from "vitest";
import { decodeBase64Image } from "../../../src/api/images.js";
import { Problem } from "../../../src/api/problem.js";

const MAX = 1024;
const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256));
const b64 = bytes.toString("base64");

function refusal(data: string, max = MAX): number | null {
  try {
    decodeBase64Image(data, "$.selfie.data", max);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(Problem);
    return (e as Problem).status;
  }
}

describe("decodeBase64Image", () => {
  it.each([
    ["plain base64", b64],
    ["one padding character", Buffer.from("ab").toString("base64")],
    ["two padding characters", Buffer.from("a").toString("base64")],
    ["starting with d", Buffer.from([0x75, 0xab, 0xcd]).toString("base64")],
  ])("decodes %s to its bytes", (_label, data) => {
    expect(decodeBase64Image(data, "$.selfie.data", MAX).equals(Buffer.from(data, "base64"))).toBe(true);
  });

  it("takes a data: URL and whitespace (the strict path), to the same bytes", () => {
    expect(decodeBase64Image(`data:image/jpeg;base64,${b64}`, "$.selfie.data", MAX).equals(bytes)).toBe(true);
    expect(decodeBase64Image(b64.replace(/(.{76})/g, "$1\n"), "$.selfie.data", MAX).equals(bytes)).toBe(true);
  });

  it.each([
    ["base64url's - and _", "QU-_"],
    ["an = inside", "QQ==QUJD"],
    ["a character outside the alphabet", "QU!D"],
    ["a length that is not a multiple of 4", "QUJ"],
    ["nothing", ""],
    ["a NUL", "QU\0D"],
  ])("refuses %s as not valid base64 (400)", (_label, data) => {
    expect(refusal(data)).toBe(400);
  });

  it("refuses an image larger than the limit (413), before decoding", () => {
    expect(refusal(Buffer.alloc(MAX + 3).toString("base64"))).toBe(413);
    expect(refusal(Buffer.alloc(MAX).toString("base64"))).toBeNull();
  });
});
