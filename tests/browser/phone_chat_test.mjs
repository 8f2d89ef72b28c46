// html/phone.html in headless Chromium as the callee of a SIP chat client (issue 11: 1:1 MSRP
// chat with a web user). Driven by the pytest side over stdout: prints {"contact_user": ...}
// once registered (the caller INVITEs sip:<contact_user>@gateway with m=message), then accepts
// the chat call, waits for the caller's message, types (is-composing goes out), waits for the
// caller's is-composing indicator, sends, waits for the caller's display notification (IMDN)
// (the page sends its own "displayed" for the caller's message) and for the call's end, and prints what the page showed as one JSON line.
//   node phone_chat_test.mjs http://127.0.0.1:8080/phone.html "hello web" "hello SIP"
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2] || "http://127.0.0.1:8080/phone.html";
const expected = process.argv[3] || "hello web";
const reply = process.argv[4] || "hello SIP";
const declining = process.argv[5] === "decline";  // decline the chat call instead
const dialing = process.argv[5] === "dial" && process.argv[6];  // call this URI with chat instead
const result = { url, console: [] };
const { context, close } = await launchChromium();
const waitFor = async (page, predicate, arg, timeout = 40000) => {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate, arg)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${predicate}`);
};
const stage = (name) => { result.stage = name; };
let page = null;
const pageState = () => page?.evaluate(() => ({ events: window.sylkPhone?.events, status: window.sylkPhone?.status,
                                               call: window.sylkPhone?.call, chat: window.sylkPhone?.chat,
                                               error: window.sylkPhone?.error, typing: window.sylkPhone?.chatTyping,
                                               text: document.getElementById("chat-text")?.value }))
  .catch(() => null);
// Stopped by the test (the other side failed): say where the page was.
process.on("SIGTERM", async () => {
  result.error = `stopped at stage ${result.stage}`;
  result.pageState = await pageState();
  console.log(JSON.stringify(result));
  await close();
  process.exit(1);
});
try {
  page = await context.newPage();
  page.on("console", (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(url);
  stage("attach");
  await waitFor(page, () => window.sylkPhone?.handle || window.sylkPhone?.error);
  await page.evaluate(() => window.sylkPhone.register("sip:webuser@sylk.test", "", "", true));
  await waitFor(page, () => window.sylkPhone.registered || window.sylkPhone.error);
  const contactUser = await page.evaluate(() => window.sylkPhone.contactUser);
  console.log(JSON.stringify({ contact_user: contactUser }));

  if (dialing) {
    // Our chat call: the callee's message in, ours out, then we hang up.
    await page.evaluate((uri) => window.sylkPhone.dialChat(uri), dialing);
    stage("dialled");
    await waitFor(page, () => window.sylkPhone.chat.active || window.sylkPhone.error);
    result.chatVisible = await page.isVisible("#chat");
    stage("message in");
    await waitFor(page, (text) => window.sylkPhone.chat.messages.some((m) => m.direction === "in" && m.text === text) ||
                                  window.sylkPhone.error, expected);
    result.listAfterIn = await page.textContent("#chat-messages");
    await page.fill("#chat-text", reply);
    await page.click("#chat-send");
    stage("sent");
    await waitFor(page, () => window.sylkPhone.chat.messages.some((m) => m.direction === "out" && m.messageId) ||
                              window.sylkPhone.error);
    await page.click("#hangup");
    await waitFor(page, () => window.sylkPhone.call === "idle" || window.sylkPhone.error);
    result.events = await page.evaluate(() => window.sylkPhone.events);
    result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
    await close();
    console.log(JSON.stringify(result));
    process.exit(0);
  }
  stage("ringing");
  await waitFor(page, () => window.sylkPhone.call === "ringing-in" || window.sylkPhone.error);
  result.incoming = await page.textContent("#caller");
  if (declining) {
    await page.click("#decline");
    stage("declined");
    await waitFor(page, () => window.sylkPhone.call === "idle" || window.sylkPhone.error);
    result.chatVisible = await page.isVisible("#chat");
    result.events = await page.evaluate(() => window.sylkPhone.events);
    result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
    await close();
    console.log(JSON.stringify(result));
    process.exit(0);
  }
  await page.click("#accept");
  stage("accepted");
  await waitFor(page, () => window.sylkPhone.chat.active || window.sylkPhone.error);
  result.chatVisible = await page.isVisible("#chat");

  stage("message in");
  await waitFor(page, (text) => window.sylkPhone.chat.messages.some((m) => m.direction === "in" && m.text === text) ||
                                window.sylkPhone.error, expected);
  result.received = await page.evaluate(() => window.sylkPhone.chat.messages.find((m) => m.direction === "in"));
  result.listAfterIn = await page.textContent("#chat-messages");

  stage("typing");
  await page.type("#chat-text", reply, { delay: 20 });
  stage("peer composing");
  await waitFor(page, () => window.sylkPhone.chat.peerComposing || window.sylkPhone.error, null, 20000);
  result.composingShown = await page.isVisible("#chat-composing");
  result.composingText = await page.textContent("#chat-composing");
  await page.click("#chat-send");
  stage("receipt");
  await waitFor(page, () => {
    const out = window.sylkPhone.chat.messages.find((m) => m.direction === "out");
    return (out && out.messageId && window.sylkPhone.chat.receipts[out.messageId] === "displayed") || window.sylkPhone.error;
  });
  result.sent = await page.evaluate(() => window.sylkPhone.chat.messages.find((m) => m.direction === "out"));
  result.receipts = await page.evaluate(() => window.sylkPhone.chat.receipts);
  result.listAfterOut = await page.textContent("#chat-messages");

  stage("hangup");
  await waitFor(page, () => window.sylkPhone.call === "idle" || window.sylkPhone.error);
  result.events = await page.evaluate(() => window.sylkPhone.events);
  result.finalStatus = await page.evaluate(() => window.sylkPhone.status);
  result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
} catch (error) {
  result.error = String(error);
  result.pageState = await pageState();
} finally {
  await close();
}
console.log(JSON.stringify(result));
