// `npm run build`: the console's script bundled (scripts/build-console.mjs), src/ compiled to dist/
// with tsc (tsconfig.build.json; relative `.ts` imports, the generated Prisma client's included,
// are rewritten to `.js`), then src's static assets (the console's html/css/js) copied beside the
// compiled code. Vendor fixtures and the console's browser sources stay out.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildConsole } from "./build-console.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");
if (!existsSync(join(src, "generated/prisma/client.ts"))) {
  console.error("build: src/generated/prisma is missing; run `npx prisma generate` first");
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
await buildConsole();
execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
let copied = 0;
const walk = (dir) => {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      if (d.name !== "fixtures" && p !== join(src, "api/console/browser")) walk(p);
    } else if (!d.name.endsWith(".ts")) {
      cpSync(p, join(dist, relative(src, p)));
      copied++;
    }
  }
};
walk(src);
console.log(`build: dist/ written (${copied} static assets copied)`);
