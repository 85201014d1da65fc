import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AsResponseSchema, MatchResponseSchema, parseIwsBody, readIwsBody, repairIwsJson } from "../../../../src/adapters/identy/schemas.js";
import { VendorError } from "../../../../src/domain/errors.js";

const fixture = (name: string) => readFileSync(new URL(`../../../../src/adapters/identy/fixtures/${name}`, import.meta.url), "utf8");

describe("defensive reading of IWS bodies", () => {
  it('repairs the doc\'s /api/v1/face/as sample (`"score": 0,12345` and the missing comma after it)', () => {
    const text = fixture("face-as-output.txt");
    expect(() => JSON.parse(text)).toThrow();
    const r = readIwsBody(text);
    expect(r.ok && r.repaired).toBe(true);
    const body = AsResponseSchema.parse(r.ok ? r.value : null);
    expect(body.score).toBe(0.12345);
    expect(body.error).toBe(0);
    expect(body.is_spoof).toBe(false);
    expect(body.as_highest_security_level_reached).toBe("VERY_HIGH");
    expect(body.refid).toBe("W-finger-process-e8abfc01-97fe-4587-8cec-9613c8873e40-1754967565683");
  });

  it("repairs the doc's /api/v1/secure/face/as sample the same way", () => {
    const r = readIwsBody(fixture("secure-face-as-output.txt"));
    expect(r.ok).toBe(true);
    expect(AsResponseSchema.parse(r.ok ? r.value : null).score).toBe(0.12345);
  });

  it("repairs the bare `HIGHEST` of the /matchWithSelfie sample", () => {
    const r = readIwsBody(fixture("match-with-selfie-response.txt"));
    const body = MatchResponseSchema.parse(r.ok ? r.value : null);
    expect(body.matchHighestSecurityLevelReached).toBe("HIGHEST");
    expect(body.similarityScore).toBe(100);
    expect(body.score).toBeCloseTo(6.2109287e-9);
    expect(body.multipleFacesImageToVerifyAgainst).toBe(true);
  });

  it("repairs the /matchWithPictureId and /verifyWithPictureId samples whose opening brace was lost", () => {
    for (const [name, level, possibleMatch] of [
      ["match-with-picture-id-response.txt", "HIGHEST", true],
      ["verify-with-picture-id-successful.txt", "HIGHEST", true],
      ["verify-with-picture-id-unsuccessful.txt", "LOW", false],
    ] as const) {
      const r = readIwsBody(fixture(name));
      expect(r.ok, name).toBe(true);
      const body = MatchResponseSchema.parse(r.ok ? r.value : null);
      expect(body.matchHighestSecurityLevelReached).toBe(level);
      expect(body.possibleMatch).toBe(possibleMatch);
      expect(body.code).toBe(200);
    }
  });

  it("never rewrites text inside strings", () => {
    const text = '{"description": "a: HIGH, b: 0,5\\n", "score": 0,5\n"level": HIGH}';
    const value = JSON.parse(repairIwsJson(text)) as Record<string, unknown>;
    expect(value).toEqual({ description: "a: HIGH, b: 0,5\n", score: 0.5, level: "HIGH" });
  });

  it("leaves valid JSON untouched (no repair attempted)", () => {
    const r = readIwsBody('{"score": 0.5, "a": [0,1]}');
    expect(r).toEqual({ ok: true, value: { score: 0.5, a: [0, 1] }, repaired: false });
  });

  it("the doc's truncated /process samples cannot be read: a parse VendorError (vendor_error), not a crash", () => {
    for (const name of ["process-output.txt", "process-encrypted-output.txt"]) {
      const text = fixture(name);
      expect(readIwsBody(text).ok).toBe(false);
      let caught: unknown;
      try {
        parseIwsBody(text, "process", 200);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(VendorError);
      const err = caught as VendorError;
      expect(err.kind).toBe("parse");
      expect(err.retryable).toBe(false);
      expect(err.toReason()).toMatchObject({ code: "vendor_error", category: "technical" });
      // the message says what happened without echoing the body
      expect(err.message).not.toContain("W-face");
      expect(err.message).not.toContain("iVBOR");
    }
  });

  it.each([
    ["", "empty"],
    ['{"truncated": ', "truncated"],
    ["<html>502 Bad Gateway</html>", "html"],
    ["null,", "junk"],
  ])("unreadable %j (%s) is a parse error", (text) => {
    expect(() => parseIwsBody(text, "face_as", 200)).toThrow(VendorError);
  });
});
