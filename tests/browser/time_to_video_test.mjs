// Time to remote video (Chromium): two participants are in a room; a third opens the room's
// link, types a name and presses Join as a person would, and the test measures from the start
// of page.goto to the first decoded frame of a remote participant's video on that page. Two
// in-page clocks, both against the same wall clock as the start: the first
// requestVideoFrameCallback on a <video> showing a remote track, and the subscriber's inbound-rtp
// framesDecoded > 0 polled every 50 ms. The third participant leaves and joins again RUNS times.
// Prints one JSON line: {runs: [{frameMs, statsMs}], ...}.
//   node time_to_video_test.mjs http://127.0.0.1:8080/room.html ROOM [RUNS]
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/room.html";
const room = process.argv[3] || "ttv-room";
const runs = Number(process.argv[4] || 3);
const result = { runs: [], console: [] };
const { context, close } = await launchChromium({ shared: true });

// Installed before the page's own scripts: watches every <video> for the first frame of a remote
// track (one the room's subscriber received: window.sylkRoom.tracks), and polls the subscriber's
// statistics; records Date.now() of each first.
function firstRemoteFrameProbe() {
  window.__ttv = { frame: null, stats: null };
  const isRemote = (video) => video.srcObject?.getVideoTracks?.().some((t) => window.sylkRoom?.tracks?.has(t.id));
  const watched = new WeakSet();
  const watch = () => {
    for (const video of document.querySelectorAll("video")) {
      if (watched.has(video) || !isRemote(video)) continue;
      watched.add(video);
      video.requestVideoFrameCallback(() => { window.__ttv.frame ??= Date.now(); });
    }
  };
  const timer = setInterval(async () => {
    watch();
    const stats = await window.sylkRoom?.feedStats?.();
    if (stats && Object.values(stats).some((s) => s.framesDecoded > 0)) window.__ttv.stats ??= Date.now();
    if (window.__ttv.frame && window.__ttv.stats) clearInterval(timer);
  }, 50);
}

async function joinByLink(name, { expectVideo = true, check = false } = {}) {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`${name} pageerror: ${error.message}`));
  await page.addInitScript(firstRemoteFrameProbe);
  const start = Date.now();
  // The room's link; this branch's page reads ?room= (the #<room> and /r/<room> forms are
  // prejoin16's); the person still types a name and presses Join.
  await page.goto(`${base}?room=${encodeURIComponent(room)}`);
  const nameField = page.getByLabel(/your name|display name|^name$/i).first();
  await nameField.fill(name);
  if (check) await checkStep(page, "ttv-prejoin");  // not in a measured run: it takes its own time
  const formReady = Date.now();
  await page.getByRole("button", { name: /join/i }).first().click();
  const done = expectVideo ? () => window.sylkRoom?.error || (window.__ttv.frame && window.__ttv.stats)
                           : () => window.sylkRoom?.error || window.sylkRoom?.status === "publishing";
  // 40 s: a bound, not the measurement (that is frameMs). When it passes, what the page had
  // reached says where it stopped (CI once: no run at all within 20 s, nothing more known).
  try {
    await page.waitForFunction(done, null, { timeout: 40000, polling: 50 });
  } catch (error) {
    const seen = await page.evaluate(async () => ({
      status: window.sylkRoom?.status, error: window.sylkRoom?.error, ttv: window.__ttv,
      feeds: Object.values((await window.sylkRoom?.feedStats?.()) || {})
        .map((s) => ({ display: s.display, framesDecoded: s.framesDecoded })),
    })).catch((e) => `page not readable: ${e.message}`);
    throw new Error(`${name} after ${Date.now() - start} ms: ${error.message}; the page: ${JSON.stringify(seen)}`);
  }
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  const { frame, stats } = await page.evaluate(() => window.__ttv);
  return { page, frameMs: frame - start, statsMs: stats - start, formMs: formReady - start };
}

try {
  // Ann and Ben are in the room, Ben seeing Ann's video, before Cat comes
  await joinByLink("Ann", { expectVideo: false, check: true });
  await joinByLink("Ben");
  for (let i = 0; i < runs; i++) {
    const run = await joinByLink("Cat");
    await until(run.page, async () => Object.values(await window.sylkRoom.feedStats())
      .filter((s) => s.framesDecoded > 0).length >= 2, { what: "Cat decoding Ann and Ben" });
    run.feeds = Object.values(await run.page.evaluate(() => window.sylkRoom.feedStats())).map((s) => s.display).sort();
    if (i === runs - 1) await checkStep(run.page, "ttv-in-room");
    await run.page.close();  // leaves: the room sees Cat go before the next run comes
    delete run.page;
    result.runs.push(run);
  }
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
