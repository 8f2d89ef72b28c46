// Runs the stock Janus echotest demo page (Debian's janus-demos, its plugin name changed to
// janus.plugin.sylk.echo and nothing else) in headless Chromium with fake devices: starts it,
// lets the echo run, uses the page's own audio toggle, bandwidth menu and data-channel box, and
// prints what it saw as one JSON line. The pytest side asserts on it.
//   node stock_echotest.mjs http://127.0.0.1:PORT/echotest.html
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2];
const result = { url, console: [] };
const { context, close } = await launchChromium();

// framesDecoded and audio bytes of the page's PeerConnection (the stock page keeps its plugin
// handle in the global "echotest").
const inboundStats = () => window.echotest.webrtcStuff.pc.getStats().then((report) => {
  const stats = { framesDecoded: 0, audioBytes: 0 };
  report.forEach((entry) => {
    if (entry.type === "inbound-rtp" && entry.kind === "video") stats.framesDecoded += entry.framesDecoded || 0;
    if (entry.type === "inbound-rtp" && entry.kind === "audio") stats.audioBytes += entry.bytesReceived || 0;
  });
  return stats;
});

try {
  const page = await context.newPage();
  page.on("console", (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  page.on("dialog", (dialog) => { result.console.push(`dialog: ${dialog.message()}`); dialog.dismiss(); });
  await page.goto(url);
  await page.click("#start");
  await page.waitForFunction(() => (document.querySelector("#videoright video")?.videoWidth || 0) > 0, null, { timeout: 30000 });
  result.first = await page.evaluate(inboundStats);
  // 2 s later, or longer on a loaded machine (CI runs two test shards side by side): the test
  // wants 20 more frames decoded, so wait for them up to 10 s rather than a fixed time.
  await page.waitForTimeout(2000);
  for (const deadline = Date.now() + 8000; ; await page.waitForTimeout(250)) {
    result.second = await page.evaluate(inboundStats);
    if (result.second.framesDecoded > result.first.framesDecoded + 20 || Date.now() > deadline) break;
  }
  // The page's data-channel box: what we type comes back into #datarecv.
  await page.waitForFunction(() => !document.querySelector("#datasend").disabled, null, { timeout: 20000 });
  await page.fill("#datasend", "hello from the stock page");
  await page.press("#datasend", "Enter");
  await page.waitForFunction(() => document.querySelector("#datarecv").value !== "", null, { timeout: 10000 });
  result.dataReceived = await page.$eval("#datarecv", (element) => element.value);
  // The page's own controls: {"audio": false} and {"bitrate": 128000}, bodies without "request".
  await page.click("#toggleaudio");
  await page.click("#bitrateset");
  await page.click("#bitrate a[id='128']");
  await page.waitForTimeout(1500);
  // What the plugin made of them: this session's status, asked through the page's handle.
  result.status = await page.evaluate(() => new Promise((resolve, reject) => {
    window.echotest.send({ message: { request: "status" }, success: resolve, error: reject });
  }));
  result.alerts = await page.$$eval(".bootbox .bootbox-body", (bodies) => bodies.map((body) => body.textContent));
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
