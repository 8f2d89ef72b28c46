// Launches Debian's Firefox ESR through puppeteer-core (WebDriver BiDi) with fake media.
import puppeteer from "puppeteer-core";
import { NodeWebSocketTransport } from "puppeteer-core/internal/node/NodeWebSocketTransport.js";

// Every pref here was needed for WebRTC inside the test namespace: fake devices, and the two
// permission prefs, without which Firefox gathers ICE candidates on the default route only.
export const FIREFOX_PREFS = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  "permissions.default.camera": 1,
  "permissions.default.microphone": 1,
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
};

// shared: a browser context (user context) of the Firefox that browser_host.mjs runs
// (SYLK_SHARED_FIREFOX, set by pytest's `shared_browsers`) when there is one; otherwise, or if
// it cannot be reached (it takes one WebDriver BiDi session at a time), a Firefox of our own.
// Either way `browser` has newPage() and version(), and close() ends what we started.
export async function launchFirefox({ shared = false } = {}) {
  const endpoint = process.env.SYLK_SHARED_FIREFOX;
  if (shared && endpoint) {
    // The previous script's session may still be ending ("Maximum number of active sessions"):
    // tried again for a while before a Firefox of our own (5-10 s of CPU) is started.
    const deadline = Date.now() + 15000;
    for (let attempt = 1; ; ++attempt) {
      // Our own transport: a connect that fails in session.new leaves it open, and an open
      // WebSocket would keep node running after the script has printed its result.
      let transport;
      try {
        transport = await NodeWebSocketTransport.create(endpoint);
        const connected = await puppeteer.connect({ transport, protocol: "webDriverBiDi" });
        const context = await connected.createBrowserContext();
        const browser = { newPage: () => context.newPage(), version: () => connected.version() };
        return { browser, close: async () => { await context.close().catch(() => {}); await connected.disconnect(); } };
      } catch (error) {
        transport?.close();
        const busy = /Maximum number of active sessions/.test(error.message);
        if (!busy || Date.now() > deadline) {
          console.error(`shared Firefox at ${endpoint} not reached after ${attempt} attempts (${error.message}): launching one`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
  });
  return { browser, close: () => browser.close() };
}
