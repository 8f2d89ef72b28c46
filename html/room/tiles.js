// Video tiles in the grid, and per-feed receive statistics read from the subscriber's
// PeerConnection.
import { $, state } from "./state.js";

// Per-feed receive statistics, for the tests and for a future quality indicator.
state.feedStats = async () => {
  const pc = state.subscriber?.webrtcStuff?.pc;
  const result = {};
  if (!pc) return result;
  (await pc.getStats()).forEach((report) => {
    if (report.type !== "inbound-rtp") return;
    const source = state.tracks.get(report.trackIdentifier);
    if (source === undefined) return;
    const feedEntry = (result[source.feed] ||= { display: state.participants.get(source.feed), audioBytes: 0, videoBytes: 0, framesDecoded: 0 });
    const entry = source.screen ? (feedEntry.screen ||= { videoBytes: 0, framesDecoded: 0 }) : feedEntry;
    if (report.kind === "audio") entry.audioBytes += report.bytesReceived || 0;
    if (report.kind === "video") {
      entry.videoBytes += report.bytesReceived || 0;
      entry.framesDecoded += report.framesDecoded || 0;
    }
  });
  return result;
};

export function tile(id, label) {
  let element = document.getElementById(`tile-${id}`);
  if (!element) {
    element = document.createElement("div");
    element.className = "tile";
    element.id = `tile-${id}`;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    if (id === "local") video.muted = true;
    const name = document.createElement("span");
    name.className = "name";
    element.append(video, name);
    $("grid").appendChild(element);
  }
  element.querySelector(".name").textContent = label;
  return element.querySelector("video");
}

export function removeTile(id) {
  document.getElementById(`tile-${id}`)?.remove();
}

