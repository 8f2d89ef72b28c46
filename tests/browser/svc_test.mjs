// VP9 SVC in the video room: one Chromium page publishes VP9 L3T3 at 720p, two pages only
// watch, one pinned to spatial layer 0 and one to layer 2. Prints the bytes each received from
// the publisher over four seconds as one JSON line.
//   node svc_test.mjs http://127.0.0.1:8080/room.html ROOM
import { launchChromium } from "./chromium.mjs";

const [base, room] = process.argv.slice(2);
const result = {};
const { context, close } = await launchChromium({ shared: true });

async function open(name, extra) {
  const page = await context.newPage();
  await page.goto(`${base}?room=${room}&name=${name}&autojoin=1&${extra}`);
  await page.waitForFunction(() => ["publishing", "listening"].includes(window.sylkRoom?.status) || window.sylkRoom?.error,
                             null, { timeout: 30000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

const publisherBytes = async (page) => {
  const stats = await page.evaluate(() => window.sylkRoom.feedStats());
  return Object.values(stats).find((s) => s.display === "Svc") || { videoBytes: 0, framesDecoded: 0 };
};

// The width of the video the page's subscriber decodes now (0 before the first frame).
const decodedWidth = (page) => page.evaluate(async () => {
  let width = 0;
  (await window.sylkRoom.subscriber.webrtcStuff.pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") width = Math.max(width, report.frameWidth || 0);
  });
  return width;
});

try {
  const publisher = await open("Svc", "svc=1");
  const low = await open("Low", "listen=1");
  const high = await open("High", "listen=1");
  for (const page of [low, high]) {
    const deadline = Date.now() + 30000;
    while ((await publisherBytes(page)).framesDecoded < 10) {
      if (Date.now() > deadline) throw new Error("no VP9 frames decoded");
      await page.waitForTimeout(200);
    }
  }
  const id = await publisher.evaluate(() => window.sylkRoom.myId);
  result.codec = await low.evaluate(() => [...window.sylkRoom.feedsByMid.values()].map((f) => f.type));
  await low.evaluate((feed) => window.sylkRoom.setLayer(feed, { spatial_layer: 0 }), id);
  await high.evaluate((feed) => window.sylkRoom.setLayer(feed, { spatial_layer: 2 }), id);
  // Both on their layers: the low page decodes a picture narrower than the high page's (or,
  // on a machine too slow for that within 10 s, measured as it is: pytest says what it got).
  const deadline = Date.now() + 10000;
  for (;;) {
    const [lowWidth, highWidth] = await Promise.all([low, high].map(decodedWidth));
    result.widths = { low: lowWidth, high: highWidth };
    if ((lowWidth > 0 && lowWidth < highWidth) || Date.now() > deadline) break;
    await low.waitForTimeout(100);
  }
  // At least 4 s, longer (up to 15 s) until both pages decoded 20 frames more: a Chromium short
  // of CPU decodes the high layer slowly (CI once: 5 frames in 4 s beside the sanitizer build).
  const before = { low: await publisherBytes(low), high: await publisherBytes(high) };
  const started = Date.now();
  await low.waitForTimeout(4000);
  let after;
  for (;;) {
    after = { low: await publisherBytes(low), high: await publisherBytes(high) };
    const decoded = (page) => after[page].framesDecoded - before[page].framesDecoded;
    if ((decoded("low") > 20 && decoded("high") > 20) || Date.now() - started > 15000) break;
    await low.waitForTimeout(500);
  }
  result.seconds = (Date.now() - started) / 1000;
  result.low = after.low.videoBytes - before.low.videoBytes;
  result.high = after.high.videoBytes - before.high.videoBytes;
  result.lowFrames = after.low.framesDecoded - before.low.framesDecoded;
  result.highFrames = after.high.framesDecoded - before.high.framesDecoded;
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
