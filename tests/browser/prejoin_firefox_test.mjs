// The pre-join screen's main flow in Firefox ESR (puppeteer-core over BiDi, fake devices): Ann
// opens the room's link /r/<room>, sees her preview, types her name, switches her microphone
// off and joins; Ben (a second tab, ?autojoin=1) decodes her video; she is published muted.
// Prints one JSON line for pytest.
//   node prejoin_firefox_test.mjs http://127.0.0.1:8080/ ROOM
import { launchFirefox } from "./firefox.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const [base = "http://127.0.0.1:8080/", room = "firefox prejoin"] = process.argv.slice(2);
const result = {};
let firefox;

// wait.mjs's polling, the one loop of every browser script
const waitFor = (page, what, fn, arg, timeout = 20000) => until(page, fn, { arg, timeout, what, every: 250 });

try {
  firefox = await launchFirefox({ shared: true });
  const ann = await firefox.browser.newPage();
  await ann.setViewport({ width: 1280, height: 800 });
  await ann.goto(`${base}r/${encodeURIComponent(room)}`);
  await waitFor(ann, "the page's modules", () => Boolean(window.sylkRoom?.prejoin));
  result.roomField = await ann.$eval("#room", (input) => input.value);
  // playing: a picture, and time moving on (headless Firefox counts no playback frames)
  result.previewPlaying = await waitFor(ann, "the preview playing", () => {
    const video = document.getElementById("preview");
    return video.videoWidth > 0 && video.currentTime > 0.5 && `${video.videoWidth}x${video.videoHeight}`;
  }).catch(async (error) => {
    throw new Error(`${error.message}: ${await ann.evaluate(() => {
      const video = document.getElementById("preview");
      return JSON.stringify({ tracks: video.srcObject?.getTracks().map((t) => `${t.kind} ${t.readyState}`), w: video.videoWidth,
                              t: video.currentTime, paused: video.paused, status: document.getElementById("prejoin-status").textContent });
    })}`);
  });
  result.cameras = await ann.$$eval("#camera-select option", (options) => options.length);
  await checkStep(ann, "firefox-prejoin");
  await ann.locator("#display").fill("Ann");
  await ann.click("#prejoin-mic");
  result.micPressed = await ann.$eval("#prejoin-mic", (button) => `${button.getAttribute("aria-pressed")} ${button.textContent}`);
  await ann.click("#join");
  await waitFor(ann, "Ann publishing", () => window.sylkRoom.status === "publishing" || window.sylkRoom.error);
  result.annError = await ann.evaluate(() => window.sylkRoom.error);
  result.annMuted = await ann.evaluate(() => window.sylkRoom.publisher.isAudioMuted());
  await checkStep(ann, "firefox-in-room");

  const ben = await firefox.browser.newPage();
  await ben.goto(`${base}room.html?room=${encodeURIComponent(room)}&name=Ben&autojoin=1`);
  result.benDecodesAnn = await waitFor(ben, "Ben decoding Ann", async () => {
    const stats = await window.sylkRoom?.feedStats?.();
    return Object.values(stats || {}).find((s) => s.display === "Ann" && s.framesDecoded > 10)?.framesDecoded;
  }, undefined, 30000).catch(async (error) => {
    const outbound = await ann.evaluate(async () => [...(await window.sylkRoom.publisher.webrtcStuff.pc.getStats()).values()]
      .filter((r) => r.type === "outbound-rtp").map((r) => `${r.kind} ${r.bytesSent}`));
    const stats = await ben.evaluate(async () => ({ stats: await window.sylkRoom.feedStats(), status: window.sylkRoom.status,
      error: window.sylkRoom.error, participants: [...window.sylkRoom.participants] }));
    throw new Error(`${error.message}: Ann sends ${JSON.stringify(outbound)}, Ben has ${JSON.stringify(stats)}`);
  });
  result.firefoxVersion = await firefox.browser.version();
} catch (error) {
  result.error = String(error?.stack || error);
} finally {
  if (firefox) await firefox.close();
}
console.log(JSON.stringify(result));
