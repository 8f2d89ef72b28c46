// Network trouble in a room: two participants (Ann, Ben; one Chromium, a page each) stay in one
// room while pytest (test_room_reconnect.py) breaks the network or the server under them. Driven
// over standard input, one JSON command a line; answers one JSON line each (and {"error"} on
// failure):
//   {"do": "drop-media", "seconds": 5}  drops UDP (all media) in the test's network namespace
//        (nftables) for that long; Ann's page must say "Reconnecting…"; after the network is back
//        both must decode new frames and the banner must go: timings in ms from the restore
//   {"do": "drop-websocket", "port": 8288}  aborts both pages' WebSockets to janus (ss -K);
//        both must be back (claimed or rejoined) with the other in the roster and frames flowing
//   {"do": "expect-gone"}  (pytest has stopped janus) both pages must say the server cannot be
//        reached and offer "Try again"
//   {"do": "try-again"}  (pytest has started janus again) a click on "Try again" in each page
//        must bring both back into the room, decoding each other, chat history kept
// Prints {"ready": {...}} once both decode each other.
//   node room_reconnect.mjs http://127.0.0.1:8180/room.html ROOM
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";

const [base, room] = process.argv.slice(2);
const NFT_TABLE = "sylk_reconnect_test";
const names = ["Ann", "Ben"];
const errors = [];
const { context, close } = await launchChromium();
const pages = {};

const say = (object) => console.log(JSON.stringify(object));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function joinAs(name) {
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(`${name} pageerror: ${error.message}`));
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1&retries=3`);
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 20000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

// Video frames decoded from everyone else, summed (0 when nobody is received).
const frames = (page) => page.evaluate(async () =>
  Object.values(await window.sylkRoom.feedStats()).reduce((sum, feed) => sum + feed.framesDecoded, 0));

// Waits until the page decodes more than `above` frames; returns ms waited.
async function framesAbove(page, above, timeoutMs = 15000) {
  const start = Date.now();
  for (;;) {
    const now = await frames(page);
    if (now > above) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      const detail = await page.evaluate(async () => {
        const pc = window.sylkRoom.subscriber?.webrtcStuff?.pc;
        const inbound = [];
        if (pc) (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp") inbound.push({ kind: r.kind, mid: r.mid, track: r.trackIdentifier, bytes: r.bytesReceived, frames: r.framesDecoded, pli: r.pliCount, keyframes: r.keyFramesDecoded }); });
        return { inbound, tracks: [...window.sylkRoom.tracks.keys()], display: window.sylkRoom.myId };
      });
      throw new Error(`frames stuck at ${now} (needed > ${above}): ${JSON.stringify(detail)}`);
    }
    await sleep(50);
  }
}

const view = (page) => page.evaluate(() => ({
  myId: window.sylkRoom.myId,
  connection: window.sylkRoom.connection,
  banner: document.getElementById("connection-text").textContent,
  retryShown: !document.getElementById("connection-retry").hidden,
  roster: [...document.querySelectorAll("#participants li")].map((li) => li.firstChild.textContent.trim()),
  messages: window.sylkRoom.messages.map((m) => m.text),
  shownMessages: [...document.querySelectorAll("#messages li")].map((li) => li.textContent),
  dimmed: document.getElementById("conference").classList.contains("reconnecting"),
  log: window.sylkRoom.reconnections,
}));

// The status banner as a person finds it: the page's status region, by its role.
const banner = (page, text) => page.getByRole("status").filter({ hasText: text });

function nft(args) {
  execFileSync("nft", args, { stdio: ["ignore", "ignore", "pipe"] });
}

async function dropMedia({ seconds = 5 }) {
  const [ann, ben] = [pages.Ann, pages.Ben];
  nft(["add", "table", "inet", NFT_TABLE]);
  nft(["add", "chain", "inet", NFT_TABLE, "out", "{ type filter hook output priority 0; }"]);
  nft(["add", "rule", "inet", NFT_TABLE, "out", "meta", "l4proto", "udp", "drop"]);
  const dropped = Date.now();
  await banner(ann, "Reconnecting").waitFor({ timeout: seconds * 1000 + 10000 });
  const shownAfter = Date.now() - dropped;
  const during = await view(ann);
  await checkStep(ann, "reconnecting");
  await sleep(Math.max(0, seconds * 1000 - (Date.now() - dropped)));
  const before = { Ann: await frames(ann), Ben: await frames(ben) };
  nft(["delete", "table", "inet", NFT_TABLE]);
  const restored = Date.now();
  const [annMs, benMs] = await Promise.all([framesAbove(ann, before.Ann), framesAbove(ben, before.Ben)]);
  await Promise.all([ann, ben].map((page) => page.waitForFunction(() => window.sylkRoom.connection === "ok", null, { timeout: 15000 })));
  const normalMs = Date.now() - restored;
  await sleep(1000);
  const after = { Ann: await frames(ann), Ben: await frames(ben) };
  return { bannerShownMs: shownAfter, outageMs: restored - dropped, during, before, after,
           framesBackMs: { Ann: annMs, Ben: benMs }, normalMs, Ann: await view(ann), Ben: await view(ben) };
}

async function dropWebsocket({ port }) {
  const ids = { Ann: await pages.Ann.evaluate(() => window.sylkRoom.myId), Ben: await pages.Ben.evaluate(() => window.sylkRoom.myId) };
  const before = { Ann: await frames(pages.Ann), Ben: await frames(pages.Ben) };
  execFileSync("ss", ["-K", "dport", "=", `:${port}`], { stdio: "ignore" });
  const cut = Date.now();
  // back: the WebSocket claimed again (or the room joined again), and the page says all is well
  await Promise.all(names.map((name) => pages[name].waitForFunction(
    () => window.sylkRoom.reconnections.some((r) => r.action === "claimed" || r.action === "rejoined") &&
          window.sylkRoom.connection === "ok" && window.sylkRoom.participants.size === 1, null, { timeout: 15000 })));
  const backMs = Date.now() - cut;
  const gained = {};
  for (const name of names) gained[name] = await framesAbove(pages[name], before[name] + 10);
  return { ids, backMs, gained, Ann: await view(pages.Ann), Ben: await view(pages.Ben) };
}

async function expectGone() {
  await Promise.all(names.map((name) => banner(pages[name], "The server cannot be reached").waitFor({ timeout: 15000 })));
  const retry = pages.Ann.getByRole("button", { name: "Try again" });
  await retry.waitFor({ timeout: 1000 });
  await checkStep(pages.Ann, "server-gone");
  return { Ann: await view(pages.Ann), Ben: await view(pages.Ben) };
}

async function tryAgain() {
  const clicked = Date.now();
  for (const name of names) await pages[name].getByRole("button", { name: "Try again" }).click();
  await Promise.all(names.map((name) => pages[name].waitForFunction(
    () => window.sylkRoom.connection === "ok" && window.sylkRoom.participants.size === 1, null, { timeout: 15000 })));
  const backMs = Date.now() - clicked;
  for (const name of names) await framesAbove(pages[name], 10);
  await checkStep(pages.Ann, "back-in-room");
  return { backMs, Ann: await view(pages.Ann), Ben: await view(pages.Ben) };
}

// Raw RTP statistics of both pages (for looking into a failure by hand).
async function rtpStats() {
  const result = {};
  for (const name of names) {
    result[name] = await pages[name].evaluate(async () => {
      const rows = [];
      for (const kind of ["publisher", "subscriber"]) {
        const pc = window.sylkRoom[kind]?.webrtcStuff?.pc;
        if (!pc) continue;
        (await pc.getStats()).forEach((r) => {
          if (r.type === "inbound-rtp" || r.type === "outbound-rtp")
            rows.push([kind, r.type, r.kind, r.bytesReceived ?? r.bytesSent, r.framesDecoded ?? r.framesEncoded,
                       r.pliCount, r.keyFramesDecoded ?? r.keyFramesEncoded].join(" "));
          if (r.type === "transport") rows.push([kind, "transport", r.iceState, r.dtlsState, r.selectedCandidatePairId].join(" "));
        });
      }
      return rows;
    });
  }
  return result;
}

const commands = { "rtp-stats": rtpStats, "drop-media": dropMedia, "drop-websocket": dropWebsocket, "expect-gone": expectGone, "try-again": tryAgain };

try {
  for (const name of names) pages[name] = await joinAs(name);
  await Promise.all(names.map((name) => framesAbove(pages[name], 10, 20000)));
  await pages.Ann.evaluate(() => window.sylkRoom.sendChat("before the trouble"));
  await pages.Ben.waitForFunction(() => window.sylkRoom.messages.some((m) => m.text === "before the trouble"), null, { timeout: 10000 });
  say({ ready: { Ann: await view(pages.Ann), Ben: await view(pages.Ben) } });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line);
    try {
      say({ [command.do]: await commands[command.do](command), errors });
    } catch (error) {
      say({ error: `${command.do}: ${error}`, errors,
            Ann: await view(pages.Ann).catch(() => null), Ben: await view(pages.Ben).catch(() => null) });
    }
  }
} catch (error) {
  say({ error: String(error), errors });
} finally {
  try { nft(["delete", "table", "inet", NFT_TABLE]); } catch { /* not there: the usual case */ }
  await close();
}
