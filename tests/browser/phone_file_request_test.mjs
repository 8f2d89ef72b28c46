// html/phone.html in headless Chromium as the web user a SIP client pulls a file from (issue 11,
// RFC 5547 a=recvonly to a web user). Prints {"contact_user": ...} once registered.
//   request: waits for the request ("filerequest"), prints {"request": ...} with what the page
//     showed, then answers it through the page's own controls: picks a file of SIZE random bytes
//     in the request's file input and clicks "Send this file"; prints {"answered": {sha1, size}}.
//   served TARGET: first sends SIZE random bytes to TARGET with the page's sendFile (prints
//     {"sent": ...} once that transfer ended), then waits for the same peer's request for it,
//     which the gateway serves without asking ("filerequestserved").
// Then waits for the pull's dialog to end and prints what the page showed.
//   node phone_file_request_test.mjs URL request|served [TARGET] [SIZE]
import { createHash, randomBytes } from "node:crypto";
import { launchChromium } from "./chromium.mjs";

const url = process.argv[2] || "http://127.0.0.1:8080/phone.html";
const mode = process.argv[3] || "request";
const target = process.argv[4];
const size = Number(process.argv[5] || 1048576);
const result = { url, mode, console: [] };
const { context, close } = await launchChromium();
const waitFor = async (page, predicate, arg, timeout = 60000) => {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate, arg)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${predicate}`);
};
const ended = (count) => (n) => window.sylkPhone.events.filter((e) => e === "fileended").length >= n
  || window.sylkPhone.error;
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
  let endings = 1;
  if (mode === "served") {
    result.stage = "share";
    const data = randomBytes(size);
    const sha1 = createHash("sha1").update(data).digest("hex");
    await page.evaluate(async ([uri, bytes]) => {
      await window.sylkPhone.sendFile(new Blob([new Uint8Array(bytes)]), "shared before.bin", uri);
    }, [target, Array.from(data)]);
    await waitFor(page, ended(1), 1, 90000);
    const files = await page.evaluate(() => window.sylkPhone.files);
    console.log(JSON.stringify({ sent: { sha1, size, files } }));
    endings = 2;
    result.stage = "served";
    await waitFor(page, () => window.sylkPhone.events.includes("filerequestserved") || window.sylkPhone.error, null, 40000);
  } else {
    result.stage = "request";
    await waitFor(page, () => Object.values(window.sylkPhone.files).some((f) => f.state === "requested")
      || window.sylkPhone.error, null, 40000);
    const [transfer, request] = await page.evaluate(() => Object.entries(window.sylkPhone.files)
      .find(([, f]) => f.state === "requested"));
    result.transfer = transfer;
    console.log(JSON.stringify({ request: { transfer, ...request, shown: await page.textContent("#file-list") } }));
    const data = randomBytes(size);
    const sha1 = createHash("sha1").update(data).digest("hex");
    await page.setInputFiles(".file-request-pick", { name: "the answer.bin", mimeType: "application/octet-stream",
                                                     buffer: data });
    await page.click(".file-request-send");
    console.log(JSON.stringify({ answered: { sha1, size } }));
  }
  result.stage = "sending";
  await waitFor(page, ended(endings), endings, 120000);
  result.files = await page.evaluate(() => window.sylkPhone.files);
  result.progress = await page.evaluate(() => window.sylkPhone.fileProgress);
  result.events = await page.evaluate(() => window.sylkPhone.events);
  result.listShown = await page.textContent("#file-list");
  result.error = (await page.evaluate(() => window.sylkPhone.error)) || undefined;
} catch (error) {
  result.error = String(error);
  result.pageState = await page?.evaluate(() => ({ events: window.sylkPhone?.events, files: window.sylkPhone?.files,
                                                   error: window.sylkPhone?.error })).catch((e) => String(e));
} finally {
  await close();
}
console.log(JSON.stringify(result));
