// One web app participant (html/room.html in headless Chromium) that a test drives line by line,
// for rooms whose other members are scripted (XMPP clients, phones). Prints one JSON line when it
// publishes: {"ready": true, "id": <participant id>} or {"error": "..."}; then reads one JSON
// command per line from standard input and answers each with one JSON line:
//   {"say": "text"}              -> {"said": "text", "reply": <the plugin's answer>}
//   {"say": "text", "to": <id>}  -> the same, privately to a video room participant
//   {"state": true}              -> {"state": {"messages": [...], "participants": {id: display},
//                                    "attendees": [...] (the video room's listparticipants: other
//                                    plugins' members), "error": null}}
// Ends when standard input closes (or after a time limit).
//   node room_chat_user.mjs http://127.0.0.1:8080/room.html ROOM NAME
import { createInterface } from "node:readline";
import { launchChromium } from "./chromium.mjs";

const [base, room, name] = process.argv.slice(2);
const { context, close } = await launchChromium();
const stop = async () => { await close(); process.exit(0); };
setTimeout(stop, 240000);
const print = (object) => console.log(JSON.stringify(object));

let page;
try {
  page = await context.newPage();
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1`);
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 60000 });
  const state = await page.evaluate(() => ({ id: window.sylkRoom.myId, error: window.sylkRoom.error }));
  print(state.error ? { error: state.error } : { ready: true, id: state.id });
} catch (error) {
  print({ error: String(error) });
  await stop();
}

const lines = createInterface({ input: process.stdin });
lines.on("close", stop);
for await (const line of lines) {
  if (!line.trim()) continue;
  try {
    const command = JSON.parse(line);
    if (command.say !== undefined) {
      const reply = await page.evaluate(([text, to]) => window.sylkRoom.sendChat(text, to), [command.say, command.to]);
      print({ said: command.say, reply });
    } else if (command.state) {
      const state = await page.evaluate(async () => {
        const room = window.sylkRoom;
        const listing = await new Promise((resolve) => room.publisher.send({
          message: { request: "listparticipants", room: room.room },
          success: resolve, error: (e) => resolve({ error: String(e) }),
        }));
        return {
          messages: room.messages, participants: Object.fromEntries(room.participants),
          attendees: listing.attendees || [], listed: listing.participants || [], error: room.error,
        };
      });
      print({ state });
    } else {
      print({ error: `unknown command ${line}` });
    }
  } catch (error) {
    print({ error: String(error) });
  }
}
