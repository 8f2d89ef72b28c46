// The call history of one account on two tabs (issue 16): two pages sign in as guests of one
// account (the form, as a person does): the first in Chromium, the second in Firefox ESR (another
// device, in the other engine), and the first prints its contact user; the pytest side then has
// a sipp phone call that page three times. The first call the person accepts on the
// incoming-call screen and hangs up; the second the person declines; the third the phone
// cancels while it rings. Then each page dials a sipp phone at the same time (the address typed,
// Call pressed): the first (Chromium) one that answers, and the person hangs up; the second
// (Firefox) one that declines. Both pages must list the five calls (from the gateway's "call" events: the second took
// no part in the first four), with the direction and the outcome; then the second is reloaded and
// signed in again, and must list the same from the journal (sync_conversations). Prints the lists
// as JSON.
//   node phone_call_history_test.mjs http://127.0.0.1:8088/phone.html sip:history@sylk.test \
//        sip:bob@127.0.0.1:PORT (answers) sip:frank@127.0.0.1:PORT (declines)
import { launchChromium } from "./chromium.mjs";
import { launchFirefox } from "./firefox.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const [url, account, answering, declining] = process.argv.slice(2);
const result = { console: [], steps: [] };
// Browser contexts in the session's shared browsers when pytest runs them (shared_browsers).
const [{ context, close }, fox] = await Promise.all([launchChromium({ shared: true }), launchFirefox({ shared: true })]);
const pages = [];
const step = async (page, name) => {
  console.error(`step ${name}`);
  await checkStep(page, name);
  result.steps.push(name);
};
// What a tab lists: each call's class (call-<outcome>) and text.
const calls = (page) => page.$$eval("#call-history li", (items) => items.map((item) => ({
  outcome: item.className, text: item.querySelector("span").textContent })));
const listed = (page, count) => until(page, (n) => document.querySelectorAll("#call-history li").length >= n,
                                      { arg: count, timeout: 20000, what: `${count} calls listed` });
const isPlaywright = (page) => typeof page.getByLabel === "function";
// The remembered address is typed over; guest ticked; Sign in.
const signIn = async (page) => {
  if (isPlaywright(page)) {
    await page.getByLabel("SIP address").fill(account);
    await page.getByRole("checkbox", { name: /Guest/ }).check();
  } else {
    await page.click("#username");  // select what is there (a remembered address), then type over it
    await page.keyboard.down("Control");
    await page.keyboard.press("a");
    await page.keyboard.up("Control");
    await page.type("#username", account);
    if (!await page.$eval("#guest", (box) => box.checked)) await page.click("#guest");
  }
  await pressSignIn(page);
};
const pressSignIn = async (page) => {
  if (isPlaywright(page)) await page.getByRole("button", { name: "Sign in" }).click();
  else await page.click("#register");
  await until(page, () => window.sylkPhone.contactUser || window.sylkPhone.error, { timeout: 15000, what: "signed in" });
};
// The person types the phone's address and presses Call.
const dial = async (page, uri) => {
  if (isPlaywright(page)) {
    await page.getByLabel("Address", { exact: true }).fill(uri);
    await page.getByRole("button", { name: "Call", exact: true }).click();
  } else {
    await page.click("#uri");
    await page.type("#uri", uri);
    await page.click("#call");
  }
};
const openTab = async (inFirefox) => {
  const page = inFirefox ? await fox.browser.newPage() : await context.newPage();
  if (inFirefox) await page.setViewport({ width: 1280, height: 800 });
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  pages.push(page);
  await page.goto(url);
  await until(page, () => !document.getElementById("register").disabled, { what: "the sign-in form" });
  await signIn(page);
  return page;
};
try {
  const tabs = await Promise.all([openTab(false), openTab(true)]);
  console.log(JSON.stringify({ contact_user: await tabs[0].evaluate(() => window.sylkPhone.contactUser) }));
  // Call one: the person accepts it, then hangs up.
  const incoming = tabs[0].getByRole("dialog", { name: "Incoming call" });
  await incoming.waitFor({ timeout: 20000 });
  await step(tabs[0], "incoming-call");
  await incoming.getByRole("button", { name: "Accept" }).click();
  await until(tabs[0], () => window.sylkPhone.call === "talking", { what: "talking" });
  await tabs[0].getByRole("button", { name: "Hang up" }).click();
  // Counted "hangup" events, not an "idle" state: the phone's next call comes at once, and the
  // page may be ringing again before a poll sees it idle.
  const hungUp = (count) => until(tabs[0], (n) => window.sylkPhone.events.filter((e) => e === "hangup").length >= n,
                                  { arg: count, what: `call ${count} ended` });
  await hungUp(1);
  // Call two: the person declines it. While it rings, the handle is cleaned up as janus.js does
  // when the core's "hangup" for the first call's PeerConnection comes late (after this call's
  // "incomingcall"): the call must still be ringing, its dialog open.
  await incoming.waitFor({ timeout: 20000 });
  await tabs[0].evaluate(() => window.sylkPhone.handle.hangup());
  if (await tabs[0].evaluate(() => window.sylkPhone.call) !== "ringing-in" || !await incoming.isVisible())
    throw new Error("a late cleanup of the first call's PeerConnection ended the ringing second call");
  await incoming.getByRole("button", { name: "Decline" }).click();
  await hungUp(2);
  // Call three rings and is cancelled by the phone: both tabs list the three calls.
  await Promise.all(tabs.map((page) => listed(page, 3)));
  await step(tabs[1], "call-history");
  // Outgoing, each device its own call at the same time: from Chromium, the phone answers and
  // the person hangs up; from Firefox, the phone declines.
  await Promise.all([(async () => {
    await dial(tabs[0], answering);
    await until(tabs[0], () => window.sylkPhone.call === "talking", { timeout: 15000, what: "the phone answered" });
    await step(tabs[0], "outgoing-call");
    await tabs[0].getByRole("button", { name: "Hang up" }).click();
    await until(tabs[0], () => window.sylkPhone.call === "idle", { what: "hung up" });
  })(), (async () => {
    await dial(tabs[1], declining);
    await until(tabs[1], () => window.sylkPhone.events.includes("calling"), { what: "calling" });
    await until(tabs[1], () => window.sylkPhone.call === "idle", { timeout: 15000, what: "declined by the phone" });
  })()]);
  await Promise.all(tabs.map((page) => listed(page, 5)));
  await step(tabs[1], "outgoing-call-history");
  result.before = await Promise.all(tabs.map(calls));
  await tabs[1].reload();
  await until(tabs[1], () => !document.getElementById("register").disabled, { what: "the sign-in form" });
  await pressSignIn(tabs[1]);  // the form remembers the account
  await listed(tabs[1], 5);
  result.reloaded = await calls(tabs[1]);
  result.errors = await Promise.all(tabs.map((page) => page.evaluate(() => window.sylkPhone.error)));
} catch (error) {
  result.error = String(error);
  result.state = await Promise.all(pages.map((page) => page.evaluate(() => ({
    status: window.sylkPhone?.status, call: window.sylkPhone?.call, events: window.sylkPhone?.events,
    calls: window.sylkPhone?.callHistory })).catch(() => null)));
} finally {
  await Promise.all([close(), fox.close()]);
}
console.log(JSON.stringify(result));
