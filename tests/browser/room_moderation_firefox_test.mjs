// The main flow of the chat panel and the moderator panel in Firefox ESR (puppeteer-core over
// BiDi): Ann makes the room (she moderates it), Ben joins; Ben's chat is closed and counts
// Ann's message; Ann messages Ben privately from the roster and Ben replies privately; Ann
// mutes Ben's microphone, locks the room and removes Ben after confirming. Prints one JSON line.
//   node room_moderation_firefox_test.mjs http://127.0.0.1:8080/room.html ROOM
import { launchFirefox } from "./firefox.mjs";
import { checkStep } from "./ui_check.mjs";

const [base = "http://127.0.0.1:8080/room.html", room = "firefox-moderated"] = process.argv.slice(2);
const result = { steps: [], at: "start" };
// A stuck BiDi command must still end the script with what it got to.
setTimeout(() => { console.log(JSON.stringify({ ...result, error: `stuck at ${result.at}` })); process.exit(1); }, 150000).unref();
let firefox;

async function waitFor(page, what, fn, arg, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function joinAs(name) {
  const page = await firefox.browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1`);
  await waitFor(page, `${name} publishing`, () => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, undefined, 40000);
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  pages.push(page);
  return page;
}
const pages = [];

async function step(page, name) {
  await checkStep(page, name);
  result.steps.push(name);
}

async function say(page, text) {
  await page.type("#chat-text", text);
  await page.keyboard.press("Enter");
}

const lineWith = (text) => [...document.querySelectorAll("#messages li")].find((li) => li.textContent.includes(text))?.textContent;

try {
  firefox = await launchFirefox();
  const ann = await joinAs("Ann");
  const ben = await joinAs("Ben");
  result.at = `await waitFor(ann, "Ben in Ann's roster", () => Boolean(docu`;
  await waitFor(ann, "Ben in Ann's roster", () => Boolean(document.querySelector('[aria-label="Remove Ben from the room"]')));
  result.at = `result.benPanel = await ben.$eval("#moderator-panel", (panel`;
  result.benPanel = await ben.$eval("#moderator-panel", (panel) => !panel.hidden);
  result.at = `await step(ann, "firefox-moderator");`;
  await step(ann, "firefox-moderator");
  result.at = `await ben.click("#chat-toggle");`;
  await ben.click("#chat-toggle");
  result.at = `await say(ann, "hello Firefox");`;
  await say(ann, "hello Firefox");
  result.at = `result.benUnread = await waitFor(ben, "the unread count", ()`;
  result.benUnread = await waitFor(ben, "the unread count", () => {
    const label = document.getElementById("chat-toggle").getAttribute("aria-label");
    return label !== "Chat" && label;
  });
  result.at = `await step(ben, "firefox-unread");`;
  await step(ben, "firefox-unread");
  result.at = `await ben.click("#chat-toggle");`;
  await ben.click("#chat-toggle");
  result.at = `await ann.click("#participants button.message-privately");`;
  await ann.click("#participants button.message-privately");
  result.at = `await say(ann, "private to Ben");`;
  await say(ann, "private to Ben");
  result.at = `result.benPrivate = await waitFor(ben, "the private message"`;
  result.benPrivate = await waitFor(ben, "the private message", lineWith, "private to Ben");
  result.at = `await ben.click("#messages li.private .reply-privately");`;
  await ben.click("#messages li.private .reply-privately");
  result.at = `await say(ben, "private to Ann");`;
  await say(ben, "private to Ann");
  result.at = `result.annPrivate = await waitFor(ann, "the private reply", `;
  result.annPrivate = await waitFor(ann, "the private reply", lineWith, "private to Ann");
  result.at = `await step(ben, "firefox-private");`;
  await step(ben, "firefox-private");
  result.at = `await ann.click('[aria-label="Mute microphone of Ben"]');`;
  await ann.click('[aria-label="Mute microphone of Ben"]');
  result.at = `result.benMuted = await waitFor(ben, "Ben told", () => docum`;
  result.benMuted = await waitFor(ben, "Ben told", () => document.getElementById("error").textContent);
  result.at = `await ann.click("#lock-room");`;
  await ann.click("#lock-room");
  result.at = `result.benLock = await waitFor(ben, "the lock shown", () => `;
  result.benLock = await waitFor(ben, "the lock shown", () => document.getElementById("room-lock").textContent);
  result.at = `await ann.click('[aria-label="Remove Ben from the room"]');`;
  await ann.click('[aria-label="Remove Ben from the room"]');
  result.at = `await waitFor(ann, "the confirmation", () => document.getEle`;
  await waitFor(ann, "the confirmation", () => document.getElementById("kick-dialog").open);
  result.at = `await ann.click("#kick-confirm");`;
  await ann.click("#kick-confirm");
  result.at = `result.benKicked = await waitFor(ben, "Ben removed", () => d`;
  result.benKicked = await waitFor(ben, "Ben removed", () => document.getElementById("error").textContent.includes("removed")
    && document.getElementById("error").textContent);
  result.at = `await step(ben, "firefox-kicked");`;
  await step(ben, "firefox-kicked");
} catch (error) {
  result.error = String(error.stack || error);
  result.seen = await Promise.all(pages.map((page) => page.evaluate(() => ({
    status: window.sylkRoom.status, error: window.sylkRoom.error, moderator: window.sylkRoom.moderator,
    roster: document.getElementById("participants").innerHTML.slice(0, 1500) })).catch((e) => String(e))));
} finally {
  if (firefox) await firefox.close();
  console.log(JSON.stringify(result));
}
