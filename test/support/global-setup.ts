// Once before the test files: the console's script is built from its typed sources (the gateway
// serves it at /admin/console.js and refuses to start without it), so a lone `npx vitest run <file>`
// tests the current sources, as `npm test` does.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, "../../scripts/build-console.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
}
