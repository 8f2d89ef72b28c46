// Opens the web app's echo page in headless Chromium with fake devices, lets the echo run and
// prints what the browser measured as one JSON line. The pytest side asserts on it.
//   node echo_test.mjs http://127.0.0.1:8080/echo.html
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2] || "http://127.0.0.1:8080/echo.html";
const result = { url, console: [] };
const { context, close } = await launchChromium();
try {
  const page = await context.newPage();
  page.on("console", (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(url + (url.includes("?") ? "&" : "?") + "autostart=1");
  await page.waitForFunction(() => window.sylkEcho?.status?.startsWith("echo running") || window.sylkEcho?.error,
                             null, { timeout: 20000 });
  result.status = await page.evaluate(() => window.sylkEcho.status);
  await page.waitForFunction(() => window.sylkEcho.dataOpen, null, { timeout: 20000 });
  await page.evaluate(() => window.sylkEcho.sendData("ping from chromium"));
  await page.waitForFunction(() => window.sylkEcho.replies.length > 0, null, { timeout: 10000 });
  result.replies = await page.evaluate(() => window.sylkEcho.replies);
  await page.waitForTimeout(3000);
  result.first = await page.evaluate(() => window.sylkEcho.inboundStats());
  // 2 s later, or longer on a loaded machine (CI runs two test shards side by side): the test
  // wants 20 more frames decoded, so wait for them up to 10 s rather than a fixed time.
  await page.waitForTimeout(2000);
  for (const deadline = Date.now() + 8000; ; await page.waitForTimeout(250)) {
    result.second = await page.evaluate(() => window.sylkEcho.inboundStats());
    if (result.second.framesDecoded > result.first.framesDecoded + 20 || Date.now() > deadline) break;
  }
  result.remoteVideo = await page.evaluate(() => {
    const video = document.getElementById("remote");
    return { width: video.videoWidth, height: video.videoHeight };
  });
  await page.screenshot({ path: process.env.SCREENSHOT || "/tmp/sylk-echo.png" });
} catch (error) {
  result.error = String(error);
  result.pageState = await context.pages()[0]?.evaluate(() => ({ status: window.sylkEcho?.status, error: window.sylkEcho?.error })).catch(() => null);
} finally {
  await close();
}
console.log(JSON.stringify(result));
