// The main flow of the chat panel and the moderator panel in Firefox ESR (puppeteer-core over
// BiDi): Ann makes the room (she moderates it), Ben joins; Ben's chat is closed and counts
// Ann's message; Ann messages Ben privately from the roster and Ben replies privately; Ann
// mutes Ben's microphone, locks the room and removes Ben after confirming. Prints one JSON line.
//   node room_moderation_firefox_test.mjs http://127.0.0.1:8080/room.html ROOM
import { launchFirefox } from "./firefox.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const [base = "http://127.0.0.1:8080/room.html", room = "firefox-moderated"] = process.argv.slice(2);
const result = { steps: [], at: "start", trace: [] };
const started = Date.now();
function mark(at) {
  result.at = at;
  result.trace.push(`${Date.now() - started} ms: ${at}`);
}
// A stuck BiDi command must still end the script with what it got to.
setTimeout(() => { console.log(JSON.stringify({ ...result, error: `stuck at ${result.at}` })); process.exit(1); }, 150000).unref();
let firefox;

// wait.mjs's polling, the one loop of every browser script
const waitFor = (page, what, fn, arg, timeout = 20000) => until(page, fn, { arg, timeout, what, every: 100 });

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
  await page.bringToFront();  // the page a person looks at: a background tab's check took 2 s, not 0.4 s
  await checkStep(page, name);
  result.steps.push(name);
}

// Two tabs of one window: the one a person acts in is brought to the front first (Firefox
// throttles a background tab's timers ever harder, and the clicks there waited seconds).
async function say(page, text) {
  await page.type("#chat-text", text);
  await page.keyboard.press("Enter");
}

const lineWith = (text) => [...document.querySelectorAll("#messages li")].find((li) => li.textContent.includes(text))?.textContent;

try {
  firefox = await launchFirefox({ shared: true });
  const ann = await joinAs("Ann");
  const ben = await joinAs("Ben");
  mark(`await waitFor(ann, "Ben in Ann's roster", () => Boolean(docu`);
  await waitFor(ann, "Ben in Ann's roster", () => Boolean(document.querySelector('[aria-label="Remove Ben from the room"]')));
  mark(`result.benPanel = await ben.$eval("#moderator-panel", (panel`);
  result.benPanel = await ben.$eval("#moderator-panel", (panel) => !panel.hidden);
  mark(`await step(ann, "firefox-moderator");`);
  await step(ann, "firefox-moderator");
  mark(`await ben.click("#chat-toggle");`);
  await ben.bringToFront();
  await ben.click("#chat-toggle");
  mark(`await say(ann, "hello Firefox");`);
  await ann.bringToFront();
  await say(ann, "hello Firefox");
  mark(`result.benUnread = await waitFor(ben, "the unread count", ()`);
  result.benUnread = await waitFor(ben, "the unread count", () => {
    const label = document.getElementById("chat-toggle").getAttribute("aria-label");
    return label !== "Chat" && label;
  });
  mark(`await step(ben, "firefox-unread");`);
  await step(ben, "firefox-unread");
  mark(`await ben.click("#chat-toggle");`);
  await ben.bringToFront();
  await ben.click("#chat-toggle");
  mark(`await ann.click("#participants button.message-privately");`);
  await ann.bringToFront();
  await ann.click("#participants button.message-privately");
  mark(`await say(ann, "private to Ben");`);
  await ann.bringToFront();
  await say(ann, "private to Ben");
  mark(`result.benPrivate = await waitFor(ben, "the private message"`);
  result.benPrivate = await waitFor(ben, "the private message", lineWith, "private to Ben");
  mark(`await ben.click("#messages li.private .reply-privately");`);
  await ben.bringToFront();
  await ben.click("#messages li.private .reply-privately");
  mark(`await say(ben, "private to Ann");`);
  await ben.bringToFront();
  await say(ben, "private to Ann");
  mark(`result.annPrivate = await waitFor(ann, "the private reply", `);
  result.annPrivate = await waitFor(ann, "the private reply", lineWith, "private to Ann");
  mark(`await step(ben, "firefox-private");`);
  await step(ben, "firefox-private");
  mark(`await ann.click('[aria-label="Mute microphone of Ben"]');`);
  await ann.bringToFront();
  await ann.click('[aria-label="Mute microphone of Ben"]');
  mark(`result.benMuted = await waitFor(ben, "Ben told", () => docum`);
  result.benMuted = await waitFor(ben, "Ben told", () => document.getElementById("error").textContent);
  mark(`await ann.click("#lock-room");`);
  await ann.bringToFront();
  await ann.click("#lock-room");
  mark(`result.benLock = await waitFor(ben, "the lock shown", () => `);
  result.benLock = await waitFor(ben, "the lock shown", () => document.getElementById("room-lock").textContent);
  mark(`await ann.click('[aria-label="Remove Ben from the room"]');`);
  await ann.bringToFront();
  await ann.click('[aria-label="Remove Ben from the room"]');
  mark(`await waitFor(ann, "the confirmation", () => document.getEle`);
  await waitFor(ann, "the confirmation", () => document.getElementById("kick-dialog").open);
  mark(`await step(ann, "firefox-kick-confirm");`);
  await step(ann, "firefox-kick-confirm");
  mark(`await ann.click("#kick-confirm");`);
  await ann.bringToFront();
  await ann.click("#kick-confirm");
  mark(`result.benKicked = await waitFor(ben, "Ben removed", () => d`);
  result.benKicked = await waitFor(ben, "Ben removed", () => document.getElementById("error").textContent.includes("removed")
    && document.getElementById("error").textContent);
  mark(`await step(ben, "firefox-kicked");`);
  await step(ben, "firefox-kicked");
} catch (error) {
  result.error = String(error.stack || error);
  result.seen = await Promise.all(pages.map((page) => page.evaluate(() => ({
    status: window.sylkRoom.status, error: window.sylkRoom.error, moderator: window.sylkRoom.moderator,
    roster: document.getElementById("participants").innerHTML.slice(0, 1500) })).catch((e) => String(e))));
} finally {
  mark("closing");
  console.log(JSON.stringify(result));
  if (firefox) await firefox.close();
}
