// Network trouble in a room: three participants stay in one room while pytest
// (test_room_reconnect.py) breaks the network or the server under them: Ann and Ben in Chromium
// (playwright-core), Fox in Firefox ESR (puppeteer-core over BiDi). Driven over standard input,
// one JSON command a line; answers one JSON line each ({"error"} on failure):
//   {"do": "drop-media", "seconds": 5}  drops UDP (all media) in the test's network namespace
//        (nftables) until Ann's and Fox's pages say "Reconnecting…" and at least SECONDS have
//        passed; after the restore every page must decode new frames and lose its banner
//        (timings in ms from the restore)
//   {"do": "drop-websocket", "port": 8288}  aborts every page's WebSocket to janus (ss -K); each
//        must be back (claimed or rejoined) with the two others in its roster, frames flowing
//   {"do": "mute"}  Ann mutes her microphone and stops her camera (the toolbar's buttons) until
//        Ben's tile of her says so; views then carry each page's sending tracks and muted tiles
//   {"do": "expect-gone"}  (pytest has stopped janus) every page must say the server cannot be
//        reached and offer "Try again"
//   {"do": "try-again"}  (pytest has started janus again) a click on "Try again" in each page
//        must bring them all back into the room, decoding each other, chat history kept
// Prints {"ready": {name: view}} once all three decode each other.
//   node room_reconnect.mjs http://127.0.0.1:8180/room.html ROOM
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { launchChromium } from "./chromium.mjs";
import { launchFirefox } from "./firefox.mjs";
import { checkStep } from "./ui_check.mjs";

const [base, room] = process.argv.slice(2);
const NFT_TABLE = "sylk_reconnect_test";
const names = ["Ann", "Ben", "Fox"];
const errors = [];
const [chromium, firefox] = await Promise.all([launchChromium({ shared: true }), launchFirefox({ shared: true })]);
const pages = {};

const say = (object) => console.log(JSON.stringify(object));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls fn(arg) in the page (playwright and puppeteer pages alike) until it returns something true.
async function until(page, fn, timeoutMs, what, arg) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

async function joinAs(name) {
  const page = name === "Fox" ? await firefox.browser.newPage() : await chromium.context.newPage();
  page.on("pageerror", (error) => errors.push(`${name} pageerror: ${error.message}`));
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1&retries=3`);
  await until(page, () => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, 30000, `${name} publishing`);
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

// Video frames decoded from everyone else, summed (0 when nobody is received; -1 when the
// statistics did not come within 2 s: Firefox's getStats() on a PeerConnection closed meanwhile,
// a renewed one, may never settle).
const frames = (page) => page.evaluate(async () => {
  const stats = await Promise.race([window.sylkRoom.feedStats(), new Promise((resolve) => setTimeout(resolve, 2000, null))]);
  return stats ? Object.values(stats).reduce((sum, feed) => sum + feed.framesDecoded, 0) : -1;
});

// Waits until the page decodes new frames (two looks 200 ms apart; a renewed PeerConnection
// counts from 0 again); returns ms waited.
async function framesFlowing(name, timeoutMs = 15000) {
  const start = Date.now();
  for (;;) {
    const first = await frames(pages[name]);
    await sleep(200);
    if (first >= 0 && await frames(pages[name]) > first) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${name}: no new frames (${first})`);
  }
}

const view = (page) => page.evaluate(() => ({
  myId: window.sylkRoom.myId,
  connection: window.sylkRoom.connection,
  role: document.getElementById("connection-status").getAttribute("role"),
  banner: document.getElementById("connection-text").textContent,
  retryShown: !document.getElementById("connection-retry").hidden,
  roster: [...document.querySelectorAll("#participants li")].map((li) => li.firstChild.textContent.trim()),
  shownMessages: [...document.querySelectorAll("#messages li")].map((li) => li.textContent),
  dimmed: document.getElementById("conference").classList.contains("reconnecting"),
  log: window.sylkRoom.reconnections,
  // what our publisher sends switched on, by kind; the tiles that show someone muted
  sending: Object.fromEntries((window.sylkRoom.publisher?.webrtcStuff?.pc?.getSenders() || [])
    .filter((s) => s.track).map((s) => [s.track.kind, s.track.enabled])),
  mutedTiles: [...document.querySelectorAll("#grid > .tile.mic-muted, #grid > .tile.camera-off")]
    .map((t) => t.getAttribute("aria-label")),
}));

async function views() {
  const result = {};
  for (const name of names) result[name] = await view(pages[name]).catch((e) => String(e));
  return result;
}

// The status banner as a person finds it: the page's status region, by its role (Chromium), or
// its text (Firefox: puppeteer's role selectors need CDP).
function bannerSays(name, text, timeoutMs) {
  if (name === "Fox")
    return until(pages.Fox, (t) => document.querySelector("#connection-status").textContent.includes(t), timeoutMs, `Fox: ${text}`, text);
  return pages[name].getByRole("status").filter({ hasText: text }).waitFor({ timeout: timeoutMs });
}

const connectionOk = (name) => until(pages[name], (others) => window.sylkRoom.connection === "ok" &&
  window.sylkRoom.participants.size === others, 20000, `${name} back`, names.length - 1);

function nft(args) {
  execFileSync("nft", args, { stdio: ["ignore", "ignore", "pipe"] });
}

async function dropMedia({ seconds = 5 }) {
  nft(["add", "table", "inet", NFT_TABLE]);
  nft(["add", "chain", "inet", NFT_TABLE, "out", "{ type filter hook output priority 0; }"]);
  nft(["add", "rule", "inet", NFT_TABLE, "out", "meta", "l4proto", "udp", "drop"]);
  const dropped = Date.now();
  const shownMs = {};
  await Promise.all(["Ann", "Fox"].map(async (name) => {
    await bannerSays(name, "Reconnecting", seconds * 1000 + 15000);
    shownMs[name] = Date.now() - dropped;
  }));
  const during = { Ann: await view(pages.Ann), Fox: await view(pages.Fox) };
  await Promise.all([checkStep(pages.Ann, "reconnecting"), checkStep(pages.Fox, "reconnecting")]);
  await sleep(Math.max(0, seconds * 1000 - (Date.now() - dropped)));
  nft(["delete", "table", "inet", NFT_TABLE]);
  const restored = Date.now();
  const framesBackMs = {};
  await Promise.all(names.map(async (name) => { framesBackMs[name] = await framesFlowing(name); }));
  await Promise.all(names.map((name) => until(pages[name], () => window.sylkRoom.connection === "ok", 15000, `${name} normal`)));
  const normalMs = Date.now() - restored;
  return { bannerShownMs: shownMs, outageMs: restored - dropped, during, framesBackMs, normalMs, views: await views() };
}

async function dropWebsocket({ port }) {
  const ids = {};
  for (const name of names) ids[name] = await pages[name].evaluate(() => window.sylkRoom.myId);
  execFileSync("ss", ["-K", "dport", "=", `:${port}`], { stdio: "ignore" });
  const cut = Date.now();
  // back: the WebSocket claimed again (or the room joined again), and the page says all is well
  await Promise.all(names.map((name) => until(pages[name], () => window.sylkRoom.reconnections.some(
    (r) => r.action === "claimed" || r.action === "rejoined"), 15000, `${name} reconnected`)));
  await Promise.all(names.map((name) => connectionOk(name)));
  const backMs = Date.now() - cut;
  const gained = {};
  await Promise.all(names.map(async (name) => { gained[name] = await framesFlowing(name); }));
  return { ids, backMs, gained, views: await views() };
}

const annMutedAt = (name) => until(pages[name], () => [...document.querySelectorAll("#grid > .tile")].some((t) =>
  /^Ann(, talking)?, microphone muted, camera off$/.test(t.getAttribute("aria-label"))), 15000, `Ann muted at ${name}`);

let muted = false;
async function mute() {
  await pages.Ann.locator("#mute-audio").click();
  await pages.Ann.locator("#mute-video").click();
  muted = true;
  await annMutedAt("Ben");
  return { views: await views() };
}

async function expectGone() {
  await Promise.all(names.map((name) => bannerSays(name, "The server cannot be reached", 15000)));
  await pages.Ann.getByRole("button", { name: "Try again" }).waitFor({ timeout: 1000 });
  await Promise.all([checkStep(pages.Ann, "server-gone"), checkStep(pages.Fox, "server-gone")]);
  return { views: await views() };
}

async function tryAgain() {
  const clicked = Date.now();
  await pages.Ann.getByRole("button", { name: "Try again" }).click();
  await pages.Ben.getByRole("button", { name: "Try again" }).click();
  await pages.Fox.locator("#connection-retry").click();
  await Promise.all(names.map((name) => connectionOk(name)));
  const backMs = Date.now() - clicked;
  await Promise.all(names.map((name) => framesFlowing(name)));
  if (muted) await Promise.all(["Ben", "Fox"].map(annMutedAt));  // Ann's new session tells the room she is still muted
  await checkStep(pages.Ann, "back-in-room");
  return { backMs, views: await views() };
}

const commands = { "drop-media": dropMedia, "drop-websocket": dropWebsocket, "mute": mute, "expect-gone": expectGone, "try-again": tryAgain };

try {
  pages.Ann = await joinAs("Ann");  // first: she makes the room; Ben and Fox join at once
  await Promise.all(["Ben", "Fox"].map(async (name) => { pages[name] = await joinAs(name); }));
  await Promise.all(names.map((name) => until(pages[name], async () => Object.values(await Promise.race(
    [window.sylkRoom.feedStats(), new Promise((resolve) => setTimeout(resolve, 2000, {}))]))
    .filter((feed) => feed.framesDecoded > 10).length === 2, 60000, `${name} decoding the two others`)));
  await pages.Ann.evaluate(() => window.sylkRoom.sendChat("before the trouble"));
  await until(pages.Fox, () => window.sylkRoom.messages.some((m) => m.text === "before the trouble"), 10000, "chat at Fox");
  say({ ready: await views() });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line);
    try {
      say({ [command.do]: await commands[command.do](command), errors });
    } catch (error) {
      say({ error: `${command.do}: ${error}`, errors, views: await views() });
    }
  }
} catch (error) {
  say({ error: String(error), errors });
} finally {
  try { nft(["delete", "table", "inet", NFT_TABLE]); } catch { /* not there: the usual case */ }
  await chromium.close();
  await firefox.close();
}
