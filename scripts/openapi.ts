// `npm run openapi`: writes the OpenAPI document to clients/typescript/openapi.json and generates
// the client's types from it (clients/typescript/src/schema.d.ts, openapi-typescript run with the
// TypeScript 5 nested in clients/typescript). test/unit/api/openapi-artifacts.test.ts fails when
// the committed files are not what this writes.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildOpenApi } from "../src/api/openapi.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const client = join(root, "clients/typescript");

export function documentText(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

/** openapi-typescript's output for a document file, as text. */
export function generateTypes(documentPath: string): string {
  return execFileSync(join(client, "node_modules/.bin/openapi-typescript"), [documentPath], {
    cwd: client,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const documentPath = join(client, "openapi.json");
  writeFileSync(documentPath, documentText());
  writeFileSync(join(client, "src/schema.d.ts"), generateTypes(documentPath));
  console.log("openapi: wrote clients/typescript/openapi.json and clients/typescript/src/schema.d.ts");
}
