// A web app participant that exchanges private messages with a member of another plugin (an
// MSRP client) through room.js's own sendChat. Prints {"joined": true, "myId": N} once in the
// room, {"sent": <the video room's reply, or null when only acked>} after its private message to MEMBER_ID, then
// {"received": <message>} once a private message with the text WANTED arrives, or {"error": "..."}.
//   node room_private_chat.mjs http://127.0.0.1:8080/room.html ROOM NAME MEMBER_ID TEXT WANTED
import { launchChromium } from "./chromium.mjs";

const [base, room, name, memberId, text, wanted] = process.argv.slice(2);
const { context, close } = await launchChromium();
const page = await context.newPage();
try {
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1`);
  await page.waitForFunction(() => window.sylkRoom?.myId || window.sylkRoom?.error, null, { timeout: 30000 });
  const myId = await page.evaluate(() => window.sylkRoom.myId);
  console.log(JSON.stringify({ joined: true, myId }));
  const sent = await page.evaluate(([to, body]) => window.sylkRoom.sendChat(body, to), [memberId, text]);
  console.log(JSON.stringify({ sent: sent ?? null }));  // null: janus.js acked it (the reply is an event)
  await page.waitForFunction((body) => window.sylkRoom.messages.some((m) => m.text === body), wanted,
                             { timeout: 30000, polling: 100 });
  const received = await page.evaluate((body) => window.sylkRoom.messages.find((m) => m.text === body), wanted);
  console.log(JSON.stringify({ received }));
} catch (error) {
  const seen = await page.evaluate(() => ({ status: window.sylkRoom?.status, error: window.sylkRoom?.error,
                                                          messages: window.sylkRoom?.messages })).catch(() => null);
  console.log(JSON.stringify({ error: String(error), seen }));
} finally {
  await close();
}
