// Two participants join a room through the web app at a public https address, with the test
// CA trusted through the NSS db in $BROWSER_HOME/.pki/nssdb (no --ignore-certificate-errors).
// Each must decode the other's video; reports, per page, the Janus API address the page chose
// by itself, the receive statistics and the ICE candidate pair each PeerConnection selected.
// Prints one JSON line for pytest.
//   BROWSER_HOME=DIR node public_room_test.mjs https://10.78.0.1:8443/room.html ROOM
import { launchChromium } from "./chromium.mjs";

const base = process.argv[2];
const room = process.argv[3] || "public-room";
const result = { pages: {}, console: [] };
const { context, close } = await launchChromium({ env: process.env.BROWSER_HOME ? { HOME: process.env.BROWSER_HOME } : undefined });

async function joinAs(name) {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`${name} pageerror: ${error.message}`));
  page.on("console", (m) => { if (m.type() === "error") result.console.push(`${name}: ${m.text()}`); });
  const url = `${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1`;
  // Chromium aborts a navigation when it sees any netlink change in its namespace; the harness
  // settles the link first, and one more try covers a change it cannot foresee.
  await page.goto(url).catch((error) => {
    if (!String(error).includes("ERR_NETWORK_CHANGED")) throw error;
    result.console.push(`${name}: navigation retried after ${error.message.split("\n")[0]}`);
    return page.goto(url);
  });
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 30000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

async function decodingOthers(page, count, timeoutMs = 40000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await page.evaluate(() => window.sylkRoom.feedStats());
    if (Object.values(stats).filter((s) => s.framesDecoded > 10).length >= count) return stats;
    if (Date.now() > deadline) throw new Error(`not decoding ${count} feeds: ${JSON.stringify(stats)}`);
    await page.waitForTimeout(500);
  }
}

// The selected pair of a PeerConnection: transport.selectedCandidatePairId -> candidate-pair ->
// local-candidate / remote-candidate.
function selectedPairs() {
  async function describe(pc) {
    if (!pc) return null;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    });
    if (!pair) return { selected: false };
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return {
      selected: true, state: pair.state,
      local: { type: local?.candidateType, address: local?.address, relayProtocol: local?.relayProtocol, url: local?.url },
      remote: { type: remote?.candidateType, address: remote?.address },
    };
  }
  return Promise.all([describe(window.sylkRoom.publisher?.webrtcStuff?.pc),
                      describe(window.sylkRoom.subscriber?.webrtcStuff?.pc)])
    .then(([publisher, subscriber]) => ({ publisher, subscriber }));
}

try {
  const names = ["Ann", "Ben"];
  const pages = [];
  for (const name of names) pages.push(await joinAs(name));
  const first = await Promise.all(pages.map((page) => decodingOthers(page, 1)));
  await pages[0].waitForTimeout(1500);
  for (const [i, page] of pages.entries()) {
    result.pages[names[i]] = {
      protocol: await page.evaluate(() => location.protocol),
      server: await page.evaluate(() => window.sylkRoom.janus.getServer()),
      first: first[i],
      second: await page.evaluate(() => window.sylkRoom.feedStats()),
      pairs: await page.evaluate(selectedPairs),
    };
  }
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
