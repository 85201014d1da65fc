import { describe, expect, it } from "vitest";
import { createLogger, errorForLog } from "../../../src/observability/logger.js";

describe("errors as they reach the logs", () => {
  it("drops the message of errors that quote their data (JSON.parse, Prisma) and keeps name, code and frames", () => {
    let parseError: unknown;
    try {
      JSON.parse('{"lastName": "Aparicio Lopez", "documentNumber": "00000000T"');
    } catch (e) {
      parseError = e;
    }
    const logged = JSON.stringify(errorForLog(parseError));
    expect(logged).not.toContain("Aparicio");
    expect(errorForLog(parseError)).toMatchObject({ type: "SyntaxError" });
    const prisma = Object.assign(new Error('Invalid `prisma.verification.create()` invocation: { reference: "Juan Aparicio" }'), {
      name: "PrismaClientValidationError",
      code: "P2009",
    });
    expect(errorForLog(prisma)).toMatchObject({ type: "PrismaClientValidationError", code: "P2009" });
    expect(JSON.stringify(errorForLog(prisma))).not.toContain("Juan");
  });

  it("keeps a short message for other errors", () => {
    const e = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    expect(errorForLog(e)).toMatchObject({ type: "Error", code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:6379" });
    expect(errorForLog(new Error("x".repeat(1000))).message).toHaveLength(300);
  });
});

describe("the logger's err serializer", () => {
  const logged = (err: unknown) => {
    const lines: string[] = [];
    createLogger("info", { write: (l: string) => void lines.push(l) }).error({ err }, "unhandled error");
    return JSON.parse(lines[0]!).err;
  };

  it("keeps the real name of an error already shaped by errorForLog (it was logged as type Object)", () => {
    expect(logged(errorForLog(new TypeError("Cannot read properties of null")))).toMatchObject({
      type: "TypeError",
      message: "Cannot read properties of null",
    });
    expect(logged(errorForLog(Object.assign(new Error("boom"), { name: "MulterError", code: "LIMIT_PART_COUNT" })))).toMatchObject({
      type: "MulterError",
      code: "LIMIT_PART_COUNT",
    });
  });

  it("shapes a raw error like errorForLog: its name, and no quoted data from Prisma or JSON.parse", () => {
    const prisma = Object.assign(new Error('Invalid `prisma.verification.create()` invocation: { reference: "Juan Aparicio" }'), {
      name: "PrismaClientKnownRequestError",
      code: "P2002",
    });
    const out = logged(prisma);
    expect(out).toMatchObject({ type: "PrismaClientKnownRequestError", code: "P2002" });
    expect(JSON.stringify(out)).not.toContain("Juan");
  });
});
