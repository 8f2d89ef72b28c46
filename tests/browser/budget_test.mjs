// First-load budget of each page (Chromium): the bytes of every resource the page loaded from
// our server, as the browser received them, decoded (uncompressed), except Debian's janus.js and
// adapter.js. Measured, not listed: a module another branch adds is counted as soon as a page
// imports it. The conference page is measured again after joining a room (modules loaded on
// demand count too). The browser cache is off so that each page pays for its shared files.
// Prints one JSON line: {pages: {name: {bytes, resources: {path: bytes}}}}.
//   node budget_test.mjs http://127.0.0.1:8080/
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/";
const EXCLUDED = ["/javascript/janus-gateway/janus.js", "/javascript/webrtc-adapter/adapter.js"];
const result = { pages: {}, console: [] };
const { context, close } = await launchChromium({ shared: true });
const origin = new URL(base).origin;

async function measuredPage(name) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const resources = {};
  const pending = [];
  page.on("pageerror", (error) => result.console.push(`${name} pageerror: ${error.message}`));
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.origin !== origin || EXCLUDED.includes(url.pathname)) return;
    pending.push(response.body().then((body) => {
      resources[url.pathname] = (resources[url.pathname] || 0) + body.length;
    }, () => {}));  // a redirect or an aborted request has no body
  });
  const total = async () => {
    await Promise.all(pending);
    return { bytes: Object.values(resources).reduce((a, b) => a + b, 0), resources: { ...resources } };
  };
  return { page, total };
}

try {
  const joined = () => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error;
  // The pages are measured side by side: each has its own cache-less page and counts only its
  // own responses, and most of a page's time is the quiet 500 ms "networkidle" waits out.
  await Promise.all([["index", ""], ["room", "room.html"], ["phone", "phone.html"], ["echo", "echo.html"],
                     ["room-joined", "room.html?room=budget-room&name=Budget&autojoin=1", joined]].map(async ([name, path, ready]) => {
    const { page, total } = await measuredPage(name);
    await page.goto(new URL(path, base).href, { waitUntil: "load" });
    if (ready) await page.waitForFunction(ready, null, { timeout: 20000 });
    await page.waitForLoadState("networkidle");
    result.pages[name] = await total();
    result.pages[name].excludedSeen = await page.evaluate((excluded) => performance.getEntriesByType("resource")
      .map((e) => new URL(e.name).pathname).filter((p) => excluded.includes(p)), EXCLUDED);
    // Other branches own the room and phone pages and their accessibility; the budget test
    // reports what axe-core finds there and the pytest side decides what fails.
    result.pages[name].violations = (await checkStep(page, `budget-${name}`, { throwOnViolation: false })).violations;
    await page.close();
  }));
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
