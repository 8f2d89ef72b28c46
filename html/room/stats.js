// Connection quality per tile, from getStats every two seconds: for each feed we receive, the
// subscriber's inbound-rtp (packet loss, jitter, frames per second, freezes) over the last
// period; for our own tile, what the server reports back on what we send (remote-inbound-rtp:
// loss, jitter, round trip). Shown on the tile as bars with a word (good, fair, poor) and an
// accessible label with the figures; kept in state.quality for the tests.
import { state } from "./state.js";

const kPeriodMs = 2000;
// Thresholds: loss as a fraction, jitter and round trip in seconds, frames per second.
const kPoor = { loss: 0.08, jitter: 0.1, fps: 4, rtt: 0.8, freezeSeconds: 0.5 };
const kFair = { loss: 0.02, jitter: 0.03, fps: 10, rtt: 0.3 };

state.quality = {};           // tile id -> {level, loss, jitter, fps, freezes, rtt}
const previous = new Map();   // report id -> the report of the last period

export function grade({ loss = 0, jitter = 0, fps, freezeSeconds = 0, freezes = 0, rtt = 0 }) {
  if (loss >= kPoor.loss || jitter >= kPoor.jitter || (fps !== undefined && fps < kPoor.fps) ||
      freezeSeconds >= kPoor.freezeSeconds || rtt >= kPoor.rtt) return "poor";
  if (loss >= kFair.loss || jitter >= kFair.jitter || (fps !== undefined && fps < kFair.fps) ||
      freezes > 0 || rtt >= kFair.rtt) return "fair";
  return "good";
}

function delta(report, field) {
  const before = previous.get(report.id);
  return (report[field] || 0) - (before?.[field] || 0);
}

// The receiving side: one entry per tile, audio and video together.
function fromInbound(reports, out) {
  reports.forEach((report) => {
    if (report.type !== "inbound-rtp") return;
    const source = state.tracks.get(report.trackIdentifier);
    if (!source) return;
    const id = source.screen ? `tile-${source.feed}-screen` : `tile-${source.feed}`;
    const entry = (out[id] ||= { lost: 0, received: 0, jitter: 0, freezes: 0, freezeSeconds: 0 });
    entry.lost += Math.max(0, delta(report, "packetsLost"));
    entry.received += Math.max(0, delta(report, "packetsReceived"));
    entry.jitter = Math.max(entry.jitter, report.jitter || 0);
    // A shared screen sends frames when it changes: a low rate is no trouble there.
    if (report.kind === "video" && !source.screen && previous.has(report.id) && delta(report, "bytesReceived") > 0) {
      // Frames per second over the period (framesPerSecond is not in every browser's report).
      const seconds = (report.timestamp - previous.get(report.id).timestamp) / 1000;
      entry.fps = seconds > 0 ? delta(report, "framesDecoded") / seconds : report.framesPerSecond;
      entry.freezes += delta(report, "freezeCount");
      entry.freezeSeconds += delta(report, "totalFreezesDuration");
    }
  });
}

// The sending side: what the server's receiver reports of our streams.
function fromRemoteInbound(reports, out) {
  reports.forEach((report) => {
    if (report.type !== "remote-inbound-rtp") return;
    const entry = (out["tile-local"] ||= { lossFraction: 0, jitter: 0, rtt: 0 });
    entry.lossFraction = Math.max(entry.lossFraction, report.fractionLost || 0);
    entry.jitter = Math.max(entry.jitter, report.jitter || 0);
    entry.rtt = Math.max(entry.rtt, report.roundTripTime || 0);
  });
}

function show(tileId, measured) {
  const element = document.getElementById(tileId)?.querySelector(".quality");
  if (!element) return;
  const level = grade(measured);
  state.quality[tileId] = { level, ...measured };
  const figures = [`${(100 * (measured.loss || 0)).toFixed(1)}% loss`, `${Math.round(1000 * (measured.jitter || 0))} ms jitter`];
  if (measured.fps !== undefined) figures.push(`${Math.round(measured.fps)} frames per second`);
  if (measured.rtt) figures.push(`${Math.round(1000 * measured.rtt)} ms round trip`);
  element.className = `quality ${level}`;
  element.hidden = false;
  element.setAttribute("role", "img");
  element.setAttribute("aria-label", `Connection ${level}: ${figures.join(", ")}`);
  element.title = figures.join(", ");
  if (!element.firstChild) {
    const bars = document.createElement("span");
    bars.className = "bars";
    bars.append(...[1, 2, 3].map(() => document.createElement("i")));
    const word = document.createElement("span");
    word.className = "word";
    element.append(bars, word);
  }
  element.querySelector(".word").textContent = level;
}

async function sample() {
  const subscriberPc = state.subscriber?.webrtcStuff?.pc;
  const publisherPc = state.publisher?.webrtcStuff?.pc;
  const reports = [];
  if (subscriberPc) reports.push(await subscriberPc.getStats());
  if (publisherPc) reports.push(await publisherPc.getStats());
  const received = {};
  const sent = {};
  if (subscriberPc) fromInbound(reports[0], received);
  if (publisherPc) fromRemoteInbound(reports.at(-1), sent);
  for (const [tileId, entry] of Object.entries(received)) {
    const packets = entry.lost + entry.received;
    show(tileId, { loss: packets ? entry.lost / packets : 0, jitter: entry.jitter, fps: entry.fps,
                   freezes: entry.freezes, freezeSeconds: entry.freezeSeconds });
  }
  if (sent["tile-local"]) {
    const { lossFraction, jitter, rtt } = sent["tile-local"];
    show("tile-local", { loss: lossFraction, jitter, rtt });
  }
  previous.clear();  // deltas are of the subscriber's reports only (ids are per PeerConnection)
  if (subscriberPc) reports[0].forEach((report) => previous.set(report.id, report));
}

state.sampleQuality = sample;

export function initStats() {
  setInterval(() => sample().catch(() => {}), kPeriodMs);  // a closed PeerConnection: next time
}
