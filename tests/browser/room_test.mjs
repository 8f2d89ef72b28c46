// Three participants join one room through the web app (one Chromium, one page each); each
// must decode the other two's video; chat from the first must reach the other two; a fourth,
// late joiner must get the chat history. Prints one JSON line for pytest.
//   node room_test.mjs http://127.0.0.1:8080/room.html ROOM
import { launchChromium } from "./chromium.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/room.html";
const room = process.argv[3] || "browser-room";
const result = { pages: {}, console: [] };
const { context, close } = await launchChromium({ shared: true });

async function joinAs(name) {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`${name} pageerror: ${error.message}`));
  page.on("console", (m) => { if (m.type() === "error") result.console.push(`${name}: ${m.text()}`); });
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1`);
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 20000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

async function decodingFrom(page, count, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await page.evaluate(() => window.sylkRoom.feedStats());
    if (Object.values(stats).filter((s) => s.framesDecoded > 10).length >= count) return;
    if (Date.now() > deadline) throw new Error(`not decoding ${count} feeds: ${JSON.stringify(stats)}`);
    await page.waitForTimeout(200);
  }
}

// Each page's statistics once every feed of `first` decoded more frames since and brought some
// audio (what pytest asserts of them), or after timeoutMs (pytest then says which did not).
async function statsGrownSince(page, first, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await page.evaluate(() => window.sylkRoom.feedStats());
    const grown = Object.entries(first).every(([feed, was]) => stats[feed]?.framesDecoded > was.framesDecoded &&
                                                                stats[feed]?.audioBytes > 0);
    if (grown || Date.now() > deadline) return stats;
    await page.waitForTimeout(200);
  }
}

try {
  const names = ["Ann", "Ben", "Cat"];
  const pages = [];
  // Ann first (she makes the room, so she moderates it), then Ben and Cat at once: Ben's page
  // gets Cat's feed while it still answers the room's first offer (session.js negotiates one at a time)
  pages.push(await joinAs(names[0]));
  pages.push(...await Promise.all(names.slice(1).map(joinAs)));
  await Promise.all(pages.map((page) => decodingFrom(page, 2)));
  const first = await Promise.all(pages.map((page) => page.evaluate(() => window.sylkRoom.feedStats())));
  const second = await Promise.all(pages.map((page, i) => statsGrownSince(page, first[i])));
  names.forEach((name, i) => { result.pages[name] = { first: first[i], second: second[i] }; });

  await pages[0].evaluate(() => window.sylkRoom.sendChat("hello from Ann"));
  // Every page, Ann's too: her own line comes back as the room's event, which on a loaded machine
  // (sanitizer build, two test shards) may land after the others have theirs.
  for (const page of pages)
    await page.waitForFunction(() => window.sylkRoom.messages.some((m) => m.text === "hello from Ann"), null, { timeout: 10000 });
  result.chat = await Promise.all(pages.map((page) => page.evaluate(() => window.sylkRoom.messages.map((m) => `${m.display}: ${m.text}`))));

  // Ann shares a "screen" (a canvas track: headless Chromium has no screen to pick)
  await pages[0].evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext("2d");
    setInterval(() => {
      context.fillStyle = `hsl(${(Date.now() / 10) % 360}, 80%, 50%)`;
      context.fillRect(0, 0, 320, 240);
    }, 50);
    return window.sylkRoom.shareScreen(canvas.captureStream(15).getVideoTracks()[0]);
  });
  for (const page of pages.slice(1)) {
    const deadline = Date.now() + 20000;
    for (;;) {
      const stats = await page.evaluate(() => window.sylkRoom.feedStats());
      const ann = Object.values(stats).find((s) => s.display === "Ann");
      if (ann?.screen?.framesDecoded > 10) break;
      if (Date.now() > deadline) throw new Error(`no screen from Ann: ${JSON.stringify(stats)}`);
      await page.waitForTimeout(200);
    }
  }
  result.screenTiles = await Promise.all(pages.slice(1).map((page) => page.evaluate(
    () => [...document.querySelectorAll(".tile .name")].map((n) => n.textContent).filter((t) => t.endsWith("(screen)")))));

  // Moderation: Ben may not mute everyone; Ann (she made the room) may
  result.benMuteAll = await pages[1].evaluate(() => window.sylkRoom.muteAll().then(() => "accepted", (e) => e.message));
  result.annIsModerator = await pages[0].evaluate(() => window.sylkRoom.moderator);

  // Ann shares a 5 MB file; Ben downloads it; both see progress; the bytes must match
  result.upload = await pages[0].evaluate(async () => {
    const bytes = new Uint8Array(5 * 1024 * 1024);
    for (let offset = 0; offset < bytes.length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const reply = await window.sylkRoom.uploadFile(new Blob([bytes]), "five-megabytes.bin");
    return { digest, reply, progressEvents: window.sylkRoom.uploadProgress.length };
  });
  await pages[1].waitForFunction(() => window.sylkRoom.files.some((f) => f.name === "five-megabytes.bin"), null, { timeout: 10000 });
  result.download = await pages[1].evaluate(async () => {
    const file = window.sylkRoom.files.find((f) => f.name === "five-megabytes.bin");
    const blob = await window.sylkRoom.downloadFile(file.id);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { digest, size: bytes.length, progressEvents: window.sylkRoom.downloadProgress.length, announced: file };
  });

  const late = await joinAs("Dan");
  result.lateHistory = await late.evaluate(() => window.sylkRoom.messages.map((m) => `${m.display}: ${m.text}`));
  await decodingFrom(late, 3);
  result.lateFiles = await late.evaluate(() => window.sylkRoom.files.map((f) => f.name));
  result.lateDecoding = Object.values(await late.evaluate(() => window.sylkRoom.feedStats())).map((s) => s.display).sort();
  await late.screenshot({ path: process.env.SCREENSHOT || "/tmp/sylk-room.png" });
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
