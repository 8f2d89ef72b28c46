// Two people open the same room's link on two nodes of a cluster: Ann on node0, then Bob on
// node1. Node0 owns the room (Ann's page asked, about to join), so Bob's page must move to node0
// and both must decode each other's video and read each other's chat. Bob's page, moved, then
// shares a file: it must go to node0's HTTP server (the file token is node0's), appear in both
// pages' file lists and download byte-identical on both. Prints one JSON line.
//   node cluster_room_test.mjs http://NODE0/room.html http://NODE1/room.html ROOM
import { launchChromium } from "./chromium.mjs";
import { joinRoom } from "./room_pages.mjs";
import { until } from "./wait.mjs";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sha256 = (buffer) => createHash("sha256").update(buffer).digest("hex");

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

  // Files from the page that moved: Bob shares one through the file picker; it must go to the
  // room's node, show as a card on both pages and download byte-identical through each card.
  result.bobFileRequests = [];
  bob.on("request", (request) => {
    if (request.url().includes("/files/")) result.bobFileRequests.push(`${request.method()} ${new URL(request.url()).origin}`);
  });
  const folder = mkdtempSync(join(tmpdir(), "sylk-cluster-files-"));
  const bytes = randomBytes(300 * 1024);
  writeFileSync(join(folder, "from-bob.bin"), bytes);
  await bob.getByLabel("Share a file").setInputFiles(join(folder, "from-bob.bin"));
  await bob.getByRole("status").filter({ hasText: "Shared from-bob.bin." }).waitFor({ timeout: 10000 });
  const downloadThroughCard = async (page, name) => {
    const card = page.locator(".file-card", { hasText: "from-bob.bin" });
    await card.waitFor({ timeout: 10000 });
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 10000 }),
                                          card.getByRole("button", { name: "Download from-bob.bin" }).click()]);
    const saved = join(folder, `${name}.bin`);
    await download.saveAs(saved);
    const got = readFileSync(saved);
    return { size: got.length, same: sha256(got) === sha256(bytes) };
  };
  result.annDownload = await downloadThroughCard(ann, "ann");
  result.bobDownload = await downloadThroughCard(bob, "bob");
  rmSync(folder, { recursive: true, force: true });
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
