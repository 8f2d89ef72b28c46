// room.html's typing indicator: a web participant sees another member typing (here an MSRP client's
// RFC 3994 is-composing, relayed by the hub as the video room's "composing" event) under the chat,
// and the line clears when that member's message arrives; typing in the page's own input tells
// the room. Prints {"joined": true, "myId": N}; {"shown": TEXT} once #typing names TYPIST; then
// types TEXT_TYPED into the chat input (not sent) and prints {"typed": true}; {"cleared": {...}}
// once #typing is empty again and a message from TYPIST is shown; {"error": ...} on failure.
//   node room_typing.mjs http://127.0.0.1:8080/room.html ROOM NAME TYPIST TEXT_TYPED
import { launchChromium } from "./chromium.mjs";

const [base, room, name, typist, typed] = process.argv.slice(2);
const { context, close } = await launchChromium();
const page = await context.newPage();
try {
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1&listen=1`);
  await page.waitForFunction(() => window.sylkRoom?.myId || window.sylkRoom?.error, null, { timeout: 30000 });
  console.log(JSON.stringify({ joined: true, myId: await page.evaluate(() => window.sylkRoom.myId) }));
  const typing = page.locator("#typing", { hasText: `${typist} is typing` });
  await typing.waitFor({ timeout: 30000 });
  console.log(JSON.stringify({ shown: await typing.textContent() }));
  await page.type("#chat-text", typed);  // key by key: input events, as a user types
  console.log(JSON.stringify({ typed: true }));
  await page.locator("#messages li", { hasText: typist }).waitFor({ timeout: 30000 });
  await page.waitForFunction(() => document.querySelector("#typing").textContent === "", null, { timeout: 5000 });
  console.log(JSON.stringify({ cleared: { typing: await page.textContent("#typing"),
                                          messages: await page.textContent("#messages"),
                                          error: await page.evaluate(() => window.sylkRoom.error) } }));
} catch (error) {
  const seen = await page.evaluate(() => ({ status: window.sylkRoom?.status, error: window.sylkRoom?.error,
                                            typing: document.querySelector("#typing")?.textContent,
                                            messages: window.sylkRoom?.messages })).catch(() => null);
  console.log(JSON.stringify({ error: String(error), seen }));
} finally {
  await close();
}
