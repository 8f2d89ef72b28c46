// The room's node dies under a page that moved to it: Ann opens the room on node0 (node0 owns
// it), Bob opens the link on node1 and moves to node0. The script prints {"ready": ...} and
// waits for a line on stdin: the test has killed node0. Bob's page must find the room again on
// its way back through node1 (which claims the room once node0's lease lapses), join it as Bob,
// and publish. Prints one JSON line.
//   node cluster_failover_test.mjs http://NODE0/room.html http://NODE1/room.html ROOM
import readline from "node:readline";
import { launchChromium } from "./chromium.mjs";
import { joinRoom } from "./room_pages.mjs";
import { until } from "./wait.mjs";

const [annBase, bobBase, room] = process.argv.slice(2);
const result = { console: [] };
const { context, close } = await launchChromium();
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const joinAs = (name, base) => joinRoom(context, base, room, name, result.console);

try {
  const ann = await joinAs("Ann", annBase);
  const bob = await joinAs("Bob", bobBase);
  result.before = await bob.evaluate(() => ({ server: window.sylkRoom.server, id: window.sylkRoom.myId }));
  console.log(JSON.stringify({ ready: result.before }));
  await lines.next();  // node0 is dead now
  const killedAt = Date.now();
  // Back means a new participant id: right after the kill the page may not have seen its
  // connection drop yet, and still says publishing on node0 (seen in CI: "back" after 0.03 s).
  const back = await until(bob, (before) => window.sylkRoom.myId !== before.id &&
    window.sylkRoom.status === "publishing" && window.sylkRoom.connection === "ok" &&
    { server: window.sylkRoom.server, id: window.sylkRoom.myId, actions: window.sylkRoom.reconnections.map((r) => r.action) },
  { arg: result.before, timeout: 30000, every: 100, what: "Bob back in the room as a new participant" });
  result.after = { ...back, seconds: (Date.now() - killedAt) / 1000 };
  result.display = await bob.evaluate(() => document.getElementById("display")?.value);
  await ann.close();
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
