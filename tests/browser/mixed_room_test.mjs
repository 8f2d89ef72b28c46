// Chromium and Firefox in one room through the web app: each must decode the other's video and
// get the other's chat. Prints one JSON line for pytest.
//   node mixed_room_test.mjs http://127.0.0.1:8080/room.html ROOM
import { launchChromium } from "./chromium.mjs";
import { launchFirefox } from "./firefox.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/room.html";
const room = process.argv[3] || "mixed-room";
const result = {};
// Both browsers start at once (Firefox's launch takes seconds on a loaded machine).
const firefoxLaunch = launchFirefox({ shared: true }).catch((error) => ({ error }));
const chromium = await launchChromium({ shared: true });
let firefox;

async function waitFor(page, fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function join(page, name) {
  await page.goto(`${base}?room=${room}&name=${name}&autojoin=1`);
  await waitFor(page, () => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, 30000, `${name} publishing`);
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
}

const decodes = async (page) => Object.values(await page.evaluate(() => window.sylkRoom.feedStats()))
  .filter((s) => s.framesDecoded > 10).map((s) => s.display);

try {
  firefox = await firefoxLaunch;
  if (firefox.error) throw firefox.error;
  const chromePage = await chromium.context.newPage();
  const foxPage = await firefox.browser.newPage();
  await join(chromePage, "Chro");
  await join(foxPage, "Fox");
  for (const [name, page] of [["Chro", chromePage], ["Fox", foxPage]]) {
    const deadline = Date.now() + 30000;
    for (;;) {
      result[name] = await decodes(page);
      if (result[name].length >= 1) break;
      if (Date.now() > deadline) throw new Error(`${name} decodes nothing: ${JSON.stringify(await page.evaluate(() => window.sylkRoom.feedStats()))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await foxPage.evaluate(() => window.sylkRoom.sendChat("hello from Firefox"));
  result.chatAtChromium = await waitFor(chromePage,
    () => window.sylkRoom.messages.find((m) => m.text === "hello from Firefox")?.display, 10000, "chat");
  result.firefoxVersion = await firefox.browser.version();
} catch (error) {
  result.error = String(error);
} finally {
  await chromium.close();
  firefox = await firefoxLaunch;
  if (!firefox.error) await firefox.close();
}
console.log(JSON.stringify(result));
