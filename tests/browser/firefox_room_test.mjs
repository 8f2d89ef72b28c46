// Firefox ESR in the web app (puppeteer-core over WebDriver BiDi), driven through the pages as a
// person would: two Firefox participants and one Chromium participant join a room through its
// join form, each decodes the other two's video, and chat typed in one engine reaches the other;
// then the echo test in Firefox (Start, a message typed and sent, the echoed video decoded).
// Prints one JSON line for pytest.
//   node firefox_room_test.mjs http://127.0.0.1:8080/ ROOM
import { launchChromium } from "./chromium.mjs";
import { launchFirefox } from "./firefox.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/";
const room = process.argv[3] || "firefox-room";
const result = { decoding: {}, chat: {}, echo: {}, console: [], timeline: [] };
const t0 = Date.now();
const mark = (what) => { result.timeline.push(`${what} ${Date.now() - t0}`); };

// Both browsers start side by side: Firefox takes seconds to start, more on a loaded machine.
const launched = await Promise.allSettled([launchChromium({ shared: true }), launchFirefox({ shared: true })]);
if (launched.some((l) => l.status === "rejected")) {
  await Promise.all(launched.filter((l) => l.status === "fulfilled").map((l) => l.value.close()));
  result.error = `cannot start the browsers: ${launched.map((l) => l.reason).filter(Boolean).join("; ")}`;
  console.log(JSON.stringify(result));
  process.exit(0);
}
const [chromium, firefox] = launched.map((l) => l.value);

const isPlaywright = (page) => typeof page.setViewportSize === "function";
const wait = (page, fn, timeout, arg) => until(page, fn, { arg, timeout, what: String(fn) });

// The join form, as a person fills it: the name field, then the Join button.
async function join(page, name) {
  await page.bringToFront();  // the two Firefox participants are tabs of one window: the person switches
  await page.goto(`${base}room.html?room=${encodeURIComponent(room)}`);
  if (isPlaywright(page)) {
    await page.getByLabel(/your name|display name|^name$/i).first().fill(name);
    await page.getByRole("button", { name: /join/i }).first().click();
  } else {
    await page.locator("#display").fill(name);
    await page.locator("#join").click();
  }
  await wait(page, () => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, 30000);
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
}

const decoding = (page) => page.evaluate(async () => Object.values(await window.sylkRoom.feedStats())
  .filter((s) => s.framesDecoded > 10).map((s) => s.display).sort());

async function say(page, text) {
  await page.bringToFront();
  if (isPlaywright(page)) {
    await page.getByRole("textbox", { name: /message/i }).first().fill(text);
    await page.keyboard.press("Enter");
  } else {
    await page.locator("#chat-text").fill(text);
    await page.keyboard.press("Enter");
  }
}

const seen = (page, text) => wait(page, (t) => window.sylkRoom.messages.some((m) => m.text === t), 10000, text)
  .then(() => page.evaluate((t) => window.sylkRoom.messages.find((m) => m.text === t).display, text));

try {
  result.firefoxVersion = await firefox.browser.version();
  mark("browsers started");
  const names = ["Fox1", "Fox2", "Chro"];
  const pages = [await firefox.browser.newPage(), await firefox.browser.newPage(), await chromium.context.newPage()];
  pages[0].on("pageerror", (error) => result.console.push(`Fox1 pageerror: ${error.message}`));
  await pages[0].goto(`${base}room.html?room=${encodeURIComponent(room)}`);
  mark("join form loaded");
  // The tab a person looks at is in front: Firefox throttles a background tab's timers and
  // animation frames (the second Firefox tab was opened after this one), which made this one
  // step take 10 s.
  await pages[0].bringToFront();
  await wait(pages[0], () => Boolean(window.sylkRoom?.prejoin), 20000);  // the page's modules are in
  mark("join form ready");
  await checkStep(pages[0], "firefox-room-join-form");
  mark("join form checked");
  // Chromium's participant joins while the two Firefox ones do, one after the other (a person
  // switches between the two Firefox tabs)
  const joined = async (i) => { await join(pages[i], names[i]); mark(`${names[i]} joined`); };
  await Promise.all([joined(0).then(() => joined(1)), joined(2)]);
  await Promise.all(names.map(async (name, i) => {
    await wait(pages[i], async (count) => Object.values(await window.sylkRoom.feedStats())
      .filter((s) => s.framesDecoded > 10).length >= count, 30000, names.length - 1)
      .catch((error) => result.console.push(`${name} decoding: ${error}`));  // reported below with what was decoded
    result.decoding[name] = await decoding(pages[i]);
  }));

  mark("decoding");
  await say(pages[0], "hello from Firefox");
  for (let i = 0; i < names.length; i++) result.chat[`${names[i]} got Firefox's`] = await seen(pages[i], "hello from Firefox");
  await say(pages[2], "hello from Chromium");
  for (let i = 0; i < 2; i++) result.chat[`${names[i]} got Chromium's`] = await seen(pages[i], "hello from Chromium");
  mark("chat");
  await pages[1].bringToFront();
  await checkStep(pages[1], "firefox-room-in-call-chat");  // the tiles and the chat, one step
  for (const page of pages) await page.close();

  // The echo test in Firefox
  const echo = await firefox.browser.newPage();
  await echo.goto(`${base}echo.html`);
  await echo.locator("#start").click();
  await wait(echo, () => window.sylkEcho.dataOpen || window.sylkEcho.error, 20000);
  await wait(echo, () => window.sylkEcho.status.startsWith("echo running") || window.sylkEcho.error, 20000);
  await echo.locator("#text").fill("ping from Firefox");
  await echo.keyboard.press("Enter");
  await wait(echo, () => document.querySelectorAll("#replies li").length > 0 || window.sylkEcho.error, 10000);
  await wait(echo, async () => (await window.sylkEcho.inboundStats()).framesDecoded > 10, 15000);
  mark("echo decoding");
  result.echo = {
    status: await echo.evaluate(() => window.sylkEcho.status),
    error: await echo.evaluate(() => window.sylkEcho.error),
    replies: await echo.evaluate(() => [...document.querySelectorAll("#replies li")].map((li) => li.textContent)),
    stats: await echo.evaluate(() => window.sylkEcho.inboundStats()),
  };
  await checkStep(echo, "firefox-echo-running");
  mark("echo");
} catch (error) {
  result.error = String(error);
} finally {
  await Promise.all([chromium.close(), firefox.close()]);
}
console.log(JSON.stringify(result));
