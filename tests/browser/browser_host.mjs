// One Chromium and one Firefox ESR for many browser scripts (pytest's session fixture
// `shared_browsers` runs this): a browser start costs seconds of CPU (Firefox 5-10 s on a
// loaded machine), which every script paid again. Prints one JSON line with where to connect,
// {"chromium": ws-endpoint, "firefox": ws-endpoint}, then waits; closes both browsers when its
// standard input ends. Scripts connect through launchChromium()/launchFirefox() ({ shared: true })
// and get a browser context of their own (cookies, storage, permissions and cache apart).
//   node browser_host.mjs
import puppeteer from "puppeteer-core";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "./chromium.mjs";
import { FIREFOX_PREFS } from "./firefox.mjs";

const [chromiumServer, firefox] = await Promise.all([
  chromium.launchServer({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS }),
  puppeteer.launch({ browser: "firefox", executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr", headless: true,
                     extraPrefsFirefox: FIREFOX_PREFS }),
]);
const firefoxEndpoint = firefox.wsEndpoint();
// Firefox takes one WebDriver BiDi session at a time: ours ends here, each script opens its own.
await firefox.disconnect();
console.log(JSON.stringify({ chromium: chromiumServer.wsEndpoint(), firefox: firefoxEndpoint }));

process.stdin.resume();
process.stdin.on("end", async () => {
  await chromiumServer.close().catch(() => {});
  try {
    const again = await puppeteer.connect({ browserWSEndpoint: firefoxEndpoint, protocol: "webDriverBiDi" });
    await again.close();
  } catch { /* gone already: nothing to close */ }
  process.exit(0);
});
