// html/phone.html in headless Chromium sends a file to a SIP client (issue 11, RFC 5547 from a
// web user): registers, makes SIZE random bytes (SHA-1 by WebCrypto), uploads them through the
// page's own sendFile (POST /files/<token>, then "sendfile"), prints {"sent": {sha1, size,
// uploadProgress}}, waits for the gateway's "filesent" and the transfer's end, and prints what
// the page showed.
//   node phone_file_send_test.mjs http://127.0.0.1:8080/phone.html sip:bob@127.0.0.1:5105 SIZE
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2] || "http://127.0.0.1:8080/phone.html";
const target = process.argv[3];
const size = Number(process.argv[4] || 1048576);
const result = { url, console: [] };
const { context, close } = await launchChromium();
const waitFor = async (page, predicate, arg, timeout = 90000) => {
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
  result.stage = "upload";
  const sent = await page.evaluate(async ([uri, bytes]) => {
    const data = new Uint8Array(bytes);
    for (let offset = 0; offset < bytes; offset += 65536) crypto.getRandomValues(data.subarray(offset, offset + 65536));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
    const sha1 = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
    const uploaded = await window.sylkPhone.sendFile(new Blob([data]), "from the web.bin", uri);
    return { sha1, size: bytes, uploaded, uploadProgress: window.sylkPhone.uploadProgress };
  }, [target, size]);
  console.log(JSON.stringify({ sent }));
  result.stage = "sending";
  await waitFor(page, () => window.sylkPhone.events.includes("fileended") || window.sylkPhone.error);
  result.files = await page.evaluate(() => window.sylkPhone.files);
  result.progress = await page.evaluate(() => window.sylkPhone.fileProgress);
  result.events = await page.evaluate(() => window.sylkPhone.events);
  result.listShown = await page.textContent("#file-list");
  result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
} catch (error) {
  result.error = String(error);
  result.pageState = await page?.evaluate(() => ({ events: window.sylkPhone?.events, files: window.sylkPhone?.files,
                                                   status: window.sylkPhone?.status, error: window.sylkPhone?.error }))
    .catch((e) => String(e));
} finally {
  await close();
}
console.log(JSON.stringify(result));
