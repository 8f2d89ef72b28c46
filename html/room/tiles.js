// The room's tiles: one per camera (tile-<feed>, tile-local), per screen share
// (tile-<feed>-screen) and per audio-only member of another plugin (a phone, an XMPP user:
// tile-member-<n>). A tile shows the video, or an avatar with the initials when there is no
// picture; its name; a pin button; the connection quality (stats.js fills it in). Where a tile
// goes on the page is layout.js's business; it watches #grid for tiles coming and going.
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
    if (source.mix) feedEntry.mix = true;
    const entry = source.screen ? (feedEntry.screen ||= { videoBytes: 0, framesDecoded: 0 }) : feedEntry;
    if (report.kind === "audio") {
      entry.audioBytes += report.bytesReceived || 0;
      // What was heard: totalAudioEnergy grows with the sound's power (the phones' mix, phones.js).
      entry.audioEnergy = (entry.audioEnergy || 0) + (report.totalAudioEnergy || 0);
      entry.audioLevel = report.audioLevel || 0;
    }
    if (report.kind === "video") {
      entry.videoBytes += report.bytesReceived || 0;
      entry.framesDecoded += report.framesDecoded || 0;
    }
  });
  return result;
};

// Up to two initials of a display name ("Ann Lee" -> "AL", "+31 20 123" -> "+3"); "?" for none.
export function initials(name) {
  const words = String(name || "").replace(/\(.*?\)/g, "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words.at(-1)][0]];
  return letters.join("").toUpperCase();
}

// The tile's label for screen readers and the pin button: name, then state words.
function describe(element) {
  const name = element.querySelector(".name").textContent;
  const words = [name];
  if (element.classList.contains("talking")) words.push("talking");
  if (element.classList.contains("hand")) words.push("hand raised");
  if (element.classList.contains("mic-muted")) words.push("microphone muted");  // mutes.js
  if (element.classList.contains("camera-off")) words.push("camera off");
  return words.join(", ");
}

function build(id, audioOnly) {
  const element = document.createElement("div");
  element.className = "tile";
  element.id = `tile-${id}`;
  element.setAttribute("role", "group");
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  const name = document.createElement("span");
  name.className = "name";
  const quality = document.createElement("span");
  quality.className = "quality";
  quality.hidden = true;
  const pin = document.createElement("button");
  pin.type = "button";
  pin.className = "pin";
  pin.setAttribute("aria-pressed", "false");
  pin.textContent = "Pin";
  pin.addEventListener("click", () => state.pinTile?.(element.id));
  if (audioOnly) {
    element.classList.add("audio-only");
    element.append(avatar, name, quality, pin);
  } else {
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    if (id === "local") video.muted = true;
    // No picture (an audio-only publisher, a camera not started yet): the avatar shows instead.
    const showPicture = () => element.classList.toggle("audio-only", !(video.videoWidth > 0));
    video.addEventListener("loadedmetadata", showPicture);
    video.addEventListener("resize", showPicture);
    element.classList.add("audio-only");
    element.append(video, avatar, name, quality, pin);
  }
  return element;
}

function setLabel(element, label) {
  element.querySelector(".name").textContent = label;
  element.querySelector(".avatar").textContent = initials(label);
  element.querySelector(".pin").setAttribute("aria-label", `Pin ${label}`);
  element.setAttribute("aria-label", describe(element));
}

export function tile(id, label) {
  let element = document.getElementById(`tile-${id}`);
  if (!element) {
    element = build(id, false);
    $("grid").appendChild(element);
  }
  setLabel(element, label);
  return element.querySelector("video");
}

export function removeTile(id) {
  document.getElementById(`tile-${id}`)?.remove();
}

// Members of other plugins (phones through the focus, XMPP users, MSRP clients): audio tiles
// with their names. Their member ids hold characters an element id should not, so the tile is
// numbered and remembers its member in data-member.
const memberTiles = new Map();  // member id -> tile id suffix
let memberTileCount = 0;

export function memberTile(member, display, plugin) {
  let suffix = memberTiles.get(member);
  if (suffix === undefined) {
    suffix = `member-${++memberTileCount}`;
    memberTiles.set(member, suffix);
    const element = build(suffix, true);
    element.dataset.member = member;
    if (plugin) element.dataset.plugin = plugin;  // which plugin brought it: janus.plugin.sylk.sip, ...xmpp
    $("grid").appendChild(element);
  }
  const element = document.getElementById(`tile-${suffix}`);
  setLabel(element, display || member);
  return element;
}

export function removeMemberTile(member) {
  const suffix = memberTiles.get(member);
  if (suffix === undefined) return;
  memberTiles.delete(member);
  removeTile(suffix);
}

// A tile's state words changed (talking, hand): its accessible label follows.
export function refreshLabel(element) {
  if (element?.querySelector(".name")) element.setAttribute("aria-label", describe(element));
}
