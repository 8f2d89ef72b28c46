// Two people open the same room's link on two nodes of a cluster whose rooms span nodes
// (span_rooms): Ann on node0, Bob on node1. Neither page moves; each node relays its
// participant's video to the other, and both pages decode each other's video and read each
// other's chat. Prints one JSON line.
//   node cluster_span_test.mjs http://NODE0/room.html http://NODE1/room.html ROOM
import { launchChromium } from "./chromium.mjs";
import { joinRoom } from "./room_pages.mjs";
import { until } from "./wait.mjs";

const [annBase, bobBase, room] = process.argv.slice(2);
const result = { console: [] };
const { context, close } = await launchChromium();

const joinAs = (name, base) => joinRoom(context, base, room, name, result.console);

const decodingOthers = (page) => until(page, async () => {
  const stats = await window.sylkRoom.feedStats();
  return Object.values(stats).some((s) => s.framesDecoded > 10) && stats;
}, { timeout: 30000, every: 250, what: "a remote feed decoding" });

try {
  const ann = await joinAs("Ann", annBase);
  const bob = await joinAs("Bob", bobBase);
  const [annStats, bobStats] = await Promise.all([decodingOthers(ann), decodingOthers(bob)]);
  result.annSees = Object.values(annStats).map((s) => s.display);
  result.bobSees = Object.values(bobStats).map((s) => s.display);
  result.servers = { Ann: await ann.evaluate(() => window.sylkRoom.server), Bob: await bob.evaluate(() => window.sylkRoom.server) };
  await bob.evaluate(() => window.sylkRoom.sendChat("hello from Bob"));
  await ann.waitForFunction(() => window.sylkRoom.messages.some((m) => m.text === "hello from Bob"), null, { timeout: 10000 });
  result.chatAtAnn = await ann.evaluate(() => window.sylkRoom.messages.map((m) => `${m.display}: ${m.text}`));
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
