// Two people open the same room's link on two nodes of a cluster: Ann on node0, then Bob on
// node1. Node0 owns the room (Ann's page asked, about to join), so Bob's page must move to node0
// and both must decode each other's video and read each other's chat. Bob's page, moved, then
// shares a file: it must go to node0's HTTP server (the file token is node0's), appear in both
// pages' file lists and download byte-identical on both. Prints one JSON line.
//   node cluster_room_test.mjs http://NODE0/room.html http://NODE1/room.html ROOM
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
  result.pageOrigins = { Ann: new URL(ann.url()).origin, Bob: new URL(bob.url()).origin };
  await bob.evaluate(() => window.sylkRoom.sendChat("hello from Bob"));
  await ann.waitForFunction(() => window.sylkRoom.messages.some((m) => m.text === "hello from Bob"), null, { timeout: 10000 });
  result.chatAtAnn = await ann.evaluate(() => window.sylkRoom.messages.map((m) => `${m.display}: ${m.text}`));

  // Files from the page that moved: to the room's node, readable on both pages.
  result.bobFileRequests = [];
  bob.on("request", (request) => {
    if (request.url().includes("/files/")) result.bobFileRequests.push(`${request.method()} ${new URL(request.url()).origin}`);
  });
  const sha256 = async (blob) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  await Promise.all([ann, bob].map((page) => page.evaluate(`window.sha256 = ${sha256.toString()}`)));
  result.upload = await bob.evaluate(async () => {
    const bytes = new Uint8Array(300 * 1024);
    for (let offset = 0; offset < bytes.length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
    const blob = new Blob([bytes], { type: "application/octet-stream" });
    const reply = await window.sylkRoom.uploadFile(blob, "from-bob.bin");
    return { digest: await window.sha256(blob), reply };
  });
  const downloaded = (page) => page.evaluate(async () => {
    await new Promise((resolve) => {
      const look = () => (window.sylkRoom.files.some((f) => f.name === "from-bob.bin") ? resolve() : setTimeout(look, 50));
      look();
    });
    const file = window.sylkRoom.files.find((f) => f.name === "from-bob.bin");
    const blob = await window.sylkRoom.downloadFile(file.id);
    return { digest: await window.sha256(blob), size: blob.size, listed: window.sylkRoom.files.map((f) => f.name) };
  });
  [result.annDownload, result.bobDownload] = await Promise.all([downloaded(ann), downloaded(bob)]);
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
