// A web app participant that downloads a room file as room.js does (the page's own
// downloadFile: fetch of /files/<token>/<id>, streamed into a Blob) once a file of the given
// name is announced, and hashes what it got (SHA-1, WebCrypto). Prints {"joined": true} once in
// the room, then {"file": <announced>, "size": N, "sha1": "<hex>"} or {"error": "..."}.
//   node room_file_download.mjs http://127.0.0.1:8080/room.html ROOM NAME FILE_NAME
import { launchChromium } from "./chromium.mjs";

const [base, room, name, fileName] = process.argv.slice(2);
const { context, close } = await launchChromium();
try {
  const page = await context.newPage();
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1`);
  await page.waitForFunction(() => window.sylkRoom?.fileToken || window.sylkRoom?.error, null, { timeout: 30000 });
  console.log(JSON.stringify({ joined: true }));
  await page.waitForFunction((wanted) => window.sylkRoom.files.some((f) => f.name === wanted), fileName,
                             { timeout: 120000, polling: 100 });
  const result = await page.evaluate(async (wanted) => {
    const file = window.sylkRoom.files.find((f) => f.name === wanted);
    const blob = await window.sylkRoom.downloadFile(file.id, () => {});
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", await blob.arrayBuffer()));
    const sha1 = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return { file, size: blob.size, sha1 };
  }, fileName);
  console.log(JSON.stringify(result));
} catch (error) {
  console.log(JSON.stringify({ error: String(error) }));
} finally {
  await close();
}
