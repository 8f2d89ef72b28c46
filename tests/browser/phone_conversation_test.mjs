// The phone page as people use it (issue 16), in one browser with two pages: Ann and Bob sign in
// with SIP accounts at a registrar (the pytest side runs Kamailio), Ann opens a conversation with
// Bob and sends a message; Bob sees it in his conversations list (unread), opens it, and Ann's
// message shows "read" (Bob's display notification came back); Ann calls Bob from the
// conversation, Bob answers on the incoming-call screen, both hear audio (inbound energy
// growing), Ann presses keypad keys and Bob's page shows the tones (RFC 4733 in the audio
// through the gateway's two legs), Ann hangs up and both call histories list the call. checkStep()
// at each screen. With "firefox" as the third
// argument it runs the sign-in and conversation part with Ann in Firefox ESR (puppeteer-core) and
// Bob in Chromium (one page per browser: a second Firefox page in the background stalled).
//   node phone_conversation_test.mjs http://127.0.0.1:8088/phone.html sip:127.0.0.1:5090 [chromium|firefox]
import { checkStep } from "./ui_check.mjs";

const [url, proxy, browserName = "chromium"] = process.argv.slice(2);
const firefox = browserName === "firefox";
const ANN = "sip:ann@127.0.0.1";
const BOB = "sip:bob@127.0.0.1";
const TEXT = `Hello Bob <b>not bold</b> ${Date.now()}`;
const result = { browser: browserName, console: [], steps: [] };
const pages = [];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (page, predicate, arg, timeout = 15000) => {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate, arg)) return;
    await sleep(50);
  }
  throw new Error(`timed out at step ${result.step}: ${predicate} (${arg})`);
};
const step = async (page, name) => {
  result.step = name;
  console.error(`step ${name}`);  // where a hung run stopped, for the pytest side
  await checkStep(page, name);
  result.steps.push(name);
};
// What a person does, in either browser: type into a labelled field, press a named button.
const isPlaywright = (page) => typeof page.getByLabel === "function";
const act = {
  fill: async (page, label, id, text) => {
    console.error(`fill ${id}`);
    if (!isPlaywright(page)) {
      await page.click(`#${id}`);  // select what is there (a remembered address), then type over it
      await page.keyboard.down("Control");
      await page.keyboard.press("a");
      await page.keyboard.up("Control");
      await page.type(`#${id}`, text);
    } else {
      await page.getByLabel(label, { exact: true }).fill(text);
    }
  },
  press: async (page, name, id) => {
    console.error(`press ${id}`);
    if (!isPlaywright(page)) await page.click(`#${id}`);
    else await page.getByRole("button", { name, exact: true }).and(page.locator(`#${id}`)).click();
  },
};

const { launchChromium } = await import("./chromium.mjs");
const chromium = await launchChromium();
const fox = firefox ? await (await import("./firefox.mjs")).launchFirefox() : null;
const newPage = async (inFirefox) => {
  const page = inFirefox ? await fox.browser.newPage() : await chromium.context.newPage();
  if (inFirefox) await page.setViewport({ width: 1280, height: 800 });
  page.on("console", (message) => message.type() === "error" && result.console.push(`${message.text()}`));
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  pages.push(page);
  return page;
};

const signIn = async (page, who, check) => {
  await page.goto(url);
  await waitFor(page, () => !document.getElementById("register").disabled || window.sylkPhone?.error);
  if (check) await step(page, "signin");
  await act.fill(page, "SIP address", "username", who);
  await act.fill(page, "Proxy (optional)", "proxy", proxy);
  await act.press(page, "Sign in", "register");
  await waitFor(page, () => window.sylkPhone.registered || window.sylkPhone.error);
};

try {
  const ann = await newPage(firefox);
  const bob = await newPage(false);
  await signIn(ann, ANN, true);
  await signIn(bob, BOB, false);
  await step(ann, "signed-in");

  // Ann opens a conversation with Bob and sends a message (Enter in the message field).
  await act.fill(ann, "Address", "uri", BOB);
  await act.press(ann, "Message", "open-conv");
  await waitFor(ann, () => !document.getElementById("conversation").hidden);
  await act.fill(ann, "Message", "text", TEXT);
  if (!isPlaywright(ann)) await ann.keyboard.press("Enter");
  else await ann.getByLabel("Message", { exact: true }).press("Enter");
  await waitFor(ann, (text) => [...document.querySelectorAll("#conv-messages li.message-outgoing")].pop()
    ?.querySelector(".message-text").textContent === text, TEXT);

  // Bob's list shows the conversation with one unread message; he opens it.
  await waitFor(bob, () => document.querySelector("#conversations .badge")?.textContent === "1");
  result.bobList = await bob.evaluate(() => document.querySelector("#conversations li").textContent);
  result.bobUnreadTitle = await bob.evaluate(() => document.title);
  await step(bob, "conversation-unread");
  // the conversation (the call history lists Ann too, after an earlier call: "Call ann@...")
  await bob.locator("#conversations").getByRole("button", { name: /ann@127\.0\.0\.1/ }).click();
  await waitFor(bob, (text) => [...document.querySelectorAll("#conv-messages li.message-incoming .message-text")]
    .some((item) => item.textContent === text), TEXT);
  result.bobShown = await bob.evaluate(() => [...document.querySelectorAll("#conv-messages li.message-incoming .message-text")].pop().textContent);
  result.bobBold = await bob.evaluate(() => document.querySelectorAll("#conv-messages b").length);
  await waitFor(bob, () => !document.querySelector("#conversations .badge"));
  await waitFor(bob, () => document.getElementById("conv-key").dataset.state !== "unknown");
  result.bobKeyState = await bob.evaluate(() => document.getElementById("conv-key").textContent);
  await step(bob, "conversation-open");

  // The read receipt: Ann's message turns "read".
  await waitFor(ann, () => [...document.querySelectorAll("#conv-messages li.message-outgoing")].pop()?.dataset.receipt === "displayed");
  result.annReceipt = await ann.evaluate(() => document.querySelector("#conv-messages li.message-outgoing .message-meta").textContent);
  await step(ann, "message-read");

  if (!firefox) {
    // Ann calls Bob from the conversation; Bob answers on the incoming-call screen.
    await ann.locator("#conv-call").click();
    await bob.getByRole("dialog", { name: "Incoming call" }).waitFor();
    result.incoming = await bob.evaluate(() => document.getElementById("caller").textContent);
    await step(bob, "incoming-call");
    await bob.getByRole("dialog").getByRole("button", { name: "Accept" }).click();
    await waitFor(ann, () => window.sylkPhone.call === "talking");
    await waitFor(bob, () => window.sylkPhone.call === "talking");
    // Audio both ways: the other side's fake microphone (a tone) decoded, inbound energy growing.
    const energy = () => window.sylkPhone.inboundStats().then((stats) => stats.audioEnergy);
    for (const page of [ann, bob]) {
      const first = await page.evaluate(energy);
      await waitFor(page, (before) => window.sylkPhone.inboundStats().then((stats) => stats.audioEnergy > before + 0.01), first);
    }
    result.annAudio = await ann.evaluate(() => window.sylkPhone.inboundStats());
    result.bobAudio = await bob.evaluate(() => window.sylkPhone.inboundStats());
    result.keypadShown = await ann.evaluate(() => !document.getElementById("keypad").hidden);
    // Ann presses keypad keys (two clicks, one key on the keyboard): telephone-events in the
    // audio through the gateway; Bob's page shows the tones received, and both calls are still up.
    await ann.getByRole("button", { name: "Tone 1" }).click();
    await ann.getByRole("button", { name: "Tone #" }).click();
    await ann.keyboard.press("5");
    await waitFor(bob, () => document.getElementById("dtmf-received").textContent === "Received: 1#5");
    result.annDtmfSent = await ann.evaluate(() => document.getElementById("dtmf-sent").textContent);
    result.annDtmfVia = await ann.evaluate(() => window.sylkPhone.dtmfVia);
    result.bobDtmfReceived = await bob.evaluate(() => document.getElementById("dtmf-received").textContent);
    result.callsAfterTones = await Promise.all([ann, bob].map((page) => page.evaluate(() => window.sylkPhone.call)));
    await step(ann, "in-call");
    await ann.getByRole("button", { name: "Hang up" }).click();
    await waitFor(ann, () => window.sylkPhone.call === "idle");
    await waitFor(bob, () => window.sylkPhone.call === "idle");
    // the gateway's "call" events, once it journaled the call
    for (const page of [ann, bob]) await waitFor(page, () => document.querySelectorAll("#call-history li").length > 0);
    result.annCalls = await ann.evaluate(() => [...document.querySelectorAll("#call-history li span")].map((s) => s.textContent));
    result.bobCalls = await bob.evaluate(() => [...document.querySelectorAll("#call-history li span")].map((s) => s.textContent));
    await step(ann, "call-history");
  }
  result.errors ??= await Promise.all(pages.map((page) => page.evaluate(() => window.sylkPhone.error)));
} catch (error) {
  result.error = String(error);
  result.pageState = await Promise.all(pages.map((page) => page.evaluate(() => ({
    status: window.sylkPhone?.status, call: window.sylkPhone?.call, events: window.sylkPhone?.events, error: window.sylkPhone?.error,
    keypadHidden: document.getElementById("keypad")?.hidden,
    history: window.sylkPhone?.history })).catch(() => null)));
} finally {
  await chromium.close();
  if (fox) await fox.close();
}
console.log(JSON.stringify(result));
