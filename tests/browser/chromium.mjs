// Launches Debian's Chromium through playwright-core with fake camera and microphone.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
  "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
];

// env: extra environment for the browser, e.g. HOME whose .pki/nssdb holds a test CA.
// args: replacements or additions to CHROMIUM_ARGS, matched by switch name
// (e.g. "--use-fake-device-for-media-stream=device-count=2" for two fake cameras).
// shared: a browser context of the Chromium that browser_host.mjs runs (SYLK_SHARED_CHROMIUM,
// set by pytest's `shared_browsers`), when there is one and no env or args are asked for;
// otherwise, or if it cannot be reached, a Chromium of our own.
export async function launchChromium({ env, args = [], shared = false } = {}) {
  const endpoint = process.env.SYLK_SHARED_CHROMIUM;
  if (shared && endpoint && !env && !args.length) {
    try {
      const browser = await chromium.connect(endpoint, { timeout: 10000 });
      const context = await browser.newContext();
      return { context, close: async () => { await context.close().catch(() => {}); await browser.close(); } };
    } catch (error) {
      console.error(`shared Chromium at ${endpoint} not reached (${error.message}): launching one`);
    }
  }
  const name = (arg) => arg.split("=")[0];
  const launchArgs = CHROMIUM_ARGS.filter((arg) => !args.some((extra) => name(extra) === name(arg))).concat(args);
  const profile = mkdtempSync(join(tmpdir(), "sylk-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: launchArgs,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}
