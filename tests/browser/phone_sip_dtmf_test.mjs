// Keypad tones from the browser to a SIP phone that called the web user (issue 16): the page signs
// in as a guest and prints its contact user; the pytest side has a sipp phone call it (G.722 with
// RFC 4733 telephone-event); the person accepts on the incoming-call screen and presses keypad
// keys (two clicks and one key on the keyboard). The page prints what it sent; the pytest side
// checks the telephone-events the phone's RTP port received and then writes "hangup" to our
// stdin: the person hangs up. Prints the result as JSON.
//   node phone_sip_dtmf_test.mjs http://127.0.0.1:8088/phone.html sip:keys@sylk.test
import { createInterface } from "node:readline";
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const [url, account] = process.argv.slice(2);
const result = { console: [], steps: [] };
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { context, close } = await launchChromium();
const step = async (page, name) => {
  console.error(`step ${name}`);
  await checkStep(page, name);
  result.steps.push(name);
};
try {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await until(page, () => !document.getElementById("register").disabled, { what: "the sign-in form" });
  await page.getByLabel("SIP address").fill(account);
  await page.getByRole("checkbox", { name: /Guest/ }).check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await until(page, () => window.sylkPhone.contactUser || window.sylkPhone.error, { timeout: 15000, what: "signed in" });
  console.log(JSON.stringify({ contact_user: await page.evaluate(() => window.sylkPhone.contactUser) }));
  const incoming = page.getByRole("dialog", { name: "Incoming call" });
  await incoming.waitFor({ timeout: 20000 });
  await incoming.getByRole("button", { name: "Accept" }).click();
  await until(page, () => window.sylkPhone.call === "talking", { what: "talking" });
  // the call's audio is on its way to the phone (what a person hears as the call connecting)
  await until(page, async () => {
    const pc = window.sylkPhone.handle.webrtcStuff.pc;
    if (pc.connectionState !== "connected") return false;
    let sent = 0;
    (await pc.getStats()).forEach((report) => { if (report.type === "outbound-rtp") sent += report.packetsSent || 0; });
    return sent > 0;
  }, { what: "audio sent" });
  await page.getByRole("button", { name: "Tone 1" }).click();
  await page.getByRole("button", { name: "Tone #" }).click();
  await page.keyboard.press("5");
  result.sent = await page.evaluate(() => ({ digits: window.sylkPhone.dtmfSent, via: window.sylkPhone.dtmfVia }));
  await step(page, "keypad");
  console.log(JSON.stringify({ pressed: result.sent }));
  const order = await lines.next();  // the phone got the tones (or the test gave up)
  result.order = order.value;
  await page.getByRole("button", { name: "Hang up" }).click();
  await until(page, () => window.sylkPhone.call === "idle", { what: "hung up" });
  result.error = await page.evaluate(() => window.sylkPhone.error) || undefined;
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
process.exit(0);
