// Browser helpers for the console tests: Debian's chromium through playwright-core.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface PageProblems {
  /** uncaught script errors */
  errors: string[];
  /** anything the browser refused because of the Content-Security-Policy */
  cspViolations: string[];
}

export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], cspViolations: [] };
  page.on("pageerror", (e) => problems.errors.push(e.message));
  page.on("console", (msg) => {
    if (/Content[- ]Security[- ]Policy|Refused to (execute|load|apply|connect|frame)/i.test(msg.text())) problems.cspViolations.push(msg.text());
  });
  return problems;
}

export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.fill("#token", token);
  await page.click("#login-form button[type=submit]");
  await page.locator("#tabs").waitFor({ state: "visible" });
}
