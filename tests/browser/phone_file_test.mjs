// html/phone.html in headless Chromium as the receiver of a SIP client's file (issue 11, RFC
// 5547 to a web user). Prints {"contact_user": ...} once registered (the test's sipp INVITEs
// sip:<contact_user>@gateway with a file offer), then {"offer": ...} when the page shows it; then
// accepts it (or declines, with "decline"), and prints what the page showed: the progress it saw,
// the link's URL, and the file it downloaded through that link (size, SHA-1 by WebCrypto), and
// the statuses of traversal attempts next to that URL. It then waits for the transfer's dialog
// to end ("fileended"), destroys its Janus session (the page session ends: the server deletes
// the files and the token) and prints {"done": true}.
//   node phone_file_test.mjs http://127.0.0.1:8080/phone.html [decline]
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2] || "http://127.0.0.1:8080/phone.html";
const declining = process.argv[3] === "decline";
const result = { url, console: [] };
const { context, close } = await launchChromium();
const waitFor = async (page, predicate, arg, timeout = 60000) => {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate, arg)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${predicate}`);
};
let page = null;
process.on("SIGTERM", async () => {
  result.error = `stopped at stage ${result.stage}`;
  result.pageState = await page?.evaluate(() => ({ events: window.sylkPhone?.events, files: window.sylkPhone?.files,
                                                   error: window.sylkPhone?.error })).catch(() => null);
  console.log(JSON.stringify(result));
  await close();
  process.exit(1);
});
try {
  page = await context.newPage();
  page.on("console", (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(url);
  result.stage = "attach";
  await waitFor(page, () => window.sylkPhone?.handle || window.sylkPhone?.error);
  await page.evaluate(() => window.sylkPhone.register("sip:webuser@sylk.test", "", "", true));
  await waitFor(page, () => window.sylkPhone.registered || window.sylkPhone.error);
  console.log(JSON.stringify({ contact_user: await page.evaluate(() => window.sylkPhone.contactUser) }));

  result.stage = "offer";
  await waitFor(page, () => Object.keys(window.sylkPhone.files).length > 0 || window.sylkPhone.error, null, 40000);
  const [transfer, offer] = await page.evaluate(() => Object.entries(window.sylkPhone.files)[0]);
  result.transfer = transfer;
  result.offerShown = await page.textContent("#file-list");
  console.log(JSON.stringify({ offer: { transfer, ...offer } }));
  if (declining) {
    await page.click(".file-decline");
    result.stage = "declined";
  } else {
    await page.click(".file-accept");
    result.stage = "receiving";
    await waitFor(page, (id) => window.sylkPhone.files[id].state === "received" || window.sylkPhone.error, transfer, 150000);
    result.progress = await page.evaluate((id) => window.sylkPhone.fileProgress[id], transfer);
    result.file = await page.evaluate((id) => window.sylkPhone.files[id], transfer);
    result.linkHref = await page.getAttribute(".file-link", "href");
    result.stage = "download";
    // The download link, as the user's click would fetch it; hashed by WebCrypto.
    result.download = await page.evaluate(async (href) => {
      const response = await fetch(href);
      const blob = await response.blob();
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", await blob.arrayBuffer()));
      return { status: response.status, size: blob.size,
               sha1: Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("") };
    }, result.linkHref);
  }
  console.log(JSON.stringify(result));
  result.stage = "ended";
  await waitFor(page, (id) => window.sylkPhone.events.includes("fileended") || window.sylkPhone.error, transfer);
  result.finalFiles = await page.evaluate(() => window.sylkPhone.files);
  result.events = await page.evaluate(() => window.sylkPhone.events);
  result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
  // The page session ends: the server's sessionGone deletes this session's files and token.
  await page.evaluate(() => new Promise((resolve) => window.sylkPhone.janus.destroy({ success: resolve, error: resolve })));
  result.done = true;
} catch (error) {
  result.error = String(error);
  result.pageState = await page?.evaluate(() => ({ events: window.sylkPhone?.events, files: window.sylkPhone?.files,
                                                   status: window.sylkPhone?.status, error: window.sylkPhone?.error }))
    .catch((e) => String(e));
} finally {
  await close();
}
console.log(JSON.stringify(result));
