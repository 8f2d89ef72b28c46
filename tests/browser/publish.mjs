// Keeps one web app participant publishing in a room until standard input closes (or a time
// limit passes), for tests whose other peers are scripted (aiortc). Prints one JSON line once
// it publishes: {"id": <participant id>} or {"error": "..."}.
//   node publish.mjs http://127.0.0.1:8080/room.html ROOM NAME [extra query, e.g. simulcast=1]
import { launchChromium } from "./chromium.mjs";

const [base, room, name, extra = ""] = process.argv.slice(2);
const { context, close } = await launchChromium({ shared: true });
const stop = async () => { await close(); process.exit(0); };
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, 120000);
try {
  const page = await context.newPage();
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1&${extra}`);
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 30000 });
  const state = await page.evaluate(() => ({ id: window.sylkRoom.myId, error: window.sylkRoom.error }));
  console.log(JSON.stringify(state.error ? { error: state.error } : { id: state.id }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error) }));
}
