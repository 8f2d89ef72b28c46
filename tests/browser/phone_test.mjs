// Opens the web app's phone page in headless Chromium (fake microphone), registers as a guest,
// calls a SIP phone (sipp with a Python RTP peer, set up by the pytest side) and prints what the
// browser measured as one JSON line.
//   node phone_test.mjs http://127.0.0.1:8080/phone.html sip:bob@127.0.0.1:5098
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2] || "http://127.0.0.1:8080/phone.html";
const target = process.argv[3];
const result = { url, console: [] };
const { context, close } = await launchChromium();
const waitFor = async (page, predicate, timeout = 40000) => {
  // polled from here: waitForFunction does not await async predicates
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${predicate}`);
};
try {
  const page = await context.newPage();
  page.on("console", (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await waitFor(page, () => window.sylkPhone?.handle || window.sylkPhone?.error);
  await page.evaluate(() => window.sylkPhone.register("sip:alice@sylk.test", "", "", true));
  await waitFor(page, () => window.sylkPhone.registered || window.sylkPhone.error);
  await page.evaluate((uri) => window.sylkPhone.dial(uri), target);
  await waitFor(page, () => window.sylkPhone.call === "talking" || window.sylkPhone.error);
  result.statusInCall = await page.evaluate(() => window.sylkPhone.status);
  await page.waitForTimeout(2500);
  result.first = await page.evaluate(() => window.sylkPhone.inboundStats());
  await page.waitForTimeout(1500);
  result.second = await page.evaluate(() => window.sylkPhone.inboundStats());
  await page.click("#hangup");
  await waitFor(page, () => window.sylkPhone.call === "idle" || window.sylkPhone.error);
  result.events = await page.evaluate(() => window.sylkPhone.events);
  result.finalStatus = await page.evaluate(() => window.sylkPhone.status);
  result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
} catch (error) {
  result.error = String(error);
  result.pageState = await context.pages()[0]?.evaluate(() => ({ events: window.sylkPhone?.events, status: window.sylkPhone?.status,
                                                                  call: window.sylkPhone?.call })).catch(() => null);
} finally {
  await close();
}
console.log(JSON.stringify(result));
