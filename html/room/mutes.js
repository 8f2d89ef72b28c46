// Muted microphones and stopped cameras: ours told to the room, everyone's shown on their tiles.
//  - Ours: the Mute/Stop camera buttons (media.js) switch the tracks off; here the room hears
//    of it (configure {"streams": [{"mid", "send": false}]}, the stock form), so it stops
//    relaying them and tells the others. A new publisher PeerConnection or a new session after a
//    reconnection (reconnect.js) starts with the same tracks off and tells the room again.
//  - Others': the room's {"muted"} (by themselves) and {"moderation"} (by a moderator) events,
//    the publishers list (`muted`/`moderated` per stream, for late joiners), and other plugins'
//    members (`attendee` events and the join's attendees: a phone's `muted`/`muted_by_moderator`).
//    A tile with a muted microphone shows the icon (its text for screen readers); a stopped
//    camera shows the avatar instead of the last frame.
import { $, state } from "./state.js";
import { refreshLabel } from "./tiles.js";

state.ownMuted = {};             // kind ("audio" | "video") -> switched off by us
const feedMutes = new Map();     // participant id -> {audio: Set("self"|"moderator"), video: Set}
const memberMutes = new Map();   // other plugin's member id -> muted (by themselves or a moderator)

function mutesOf(feed) {
  if (!feedMutes.has(feed)) feedMutes.set(feed, { audio: new Set(), video: new Set() });
  return feedMutes.get(feed);
}

// The mids of our camera and microphone on the publisher's PeerConnection (not a screen share).
function ownMids(kind) {
  const pc = state.publisher?.webrtcStuff?.pc;
  if (!pc) return [];
  return pc.getTransceivers()
    .filter((t) => t.mid !== null && t.sender?.track?.kind === kind && t.mid !== state.screenMid)
    .map((t) => t.mid);
}

// Tells the room which of our streams we switched off (all of them when everything: true).
function tellRoom(everything) {
  const streams = [];
  for (const kind of ["audio", "video"]) {
    if (!everything && !state.ownMuted[kind]) continue;
    for (const mid of ownMids(kind)) streams.push({ mid, send: !state.ownMuted[kind] });
  }
  if (streams.length && state.publisher) state.publisher.send({ message: { request: "configure", streams } });
}

// After media.js toggled the tracks: remember, and tell the room.
function onToggle(kind) {
  if (!state.publisher?.webrtcStuff?.pc) return;
  state.ownMuted[kind] = kind === "audio" ? state.publisher.isAudioMuted() : state.publisher.isVideoMuted();
  tellRoom(true);
}

// Each local track the publisher captures (session.js's hook, after prejoin.js's): the first
// time, its state is what the pre-join screen chose; after a new PeerConnection or session it
// is what the person last chose.
function onLocalTrack(track, on) {
  if (!on || (track.kind === "video" && track.id === state.screenTrackId)) return;
  if (track.kind in state.ownMuted) track.enabled = !state.ownMuted[track.kind];
  else state.ownMuted[track.kind] = !track.enabled;
}

function show(element, micMuted, cameraOff) {
  if (!element) return;
  element.classList.toggle("mic-muted", micMuted);
  element.classList.toggle("camera-off", cameraOff);
  let icon = element.querySelector(".mic-off");
  if (micMuted && !icon) {
    icon = document.createElement("span");
    icon.className = "mic-off";
    icon.setAttribute("role", "img");
    icon.setAttribute("aria-label", "microphone muted");
    icon.title = "Microphone muted";
    element.querySelector(".name")?.after(icon);
  }
  if (icon) icon.hidden = !micMuted;
  refreshLabel(element);
}

function showFeed(feed) {
  const mutes = feedMutes.get(feed);
  if (!mutes) return;
  show(document.getElementById(`tile-${feed}`), mutes.audio.size > 0, mutes.video.size > 0);
}

function showMember(member) {
  const element = document.querySelector(`#grid > .tile[data-member="${CSS.escape(String(member))}"]`);
  show(element, Boolean(memberMutes.get(member)), false);
}

function setMute(feed, kind, by, muted) {
  if (kind !== "audio" && kind !== "video") return;
  const set = mutesOf(feed)[kind];
  muted ? set.add(by) : set.delete(by);
  showFeed(feed);
}

function onPublishersList(publishers) {
  for (const publisher of publishers) {
    if (!publisher.streams) continue;
    const mutes = mutesOf(publisher.id);
    mutes.audio.clear();
    mutes.video.clear();
    for (const stream of publisher.streams) {
      if (stream.muted) setMute(publisher.id, stream.type, "self", true);
      if (stream.moderated) setMute(publisher.id, stream.type, "moderator", true);
    }
    showFeed(publisher.id);
  }
}

export function onAttendeeMutes(attendee) {
  if (attendee.present === false) return memberMutes.delete(attendee.id);
  memberMutes.set(attendee.id, Boolean(attendee.muted || attendee.muted_by_moderator));
  showMember(attendee.id);
}

// session.js: every message on the publisher handle (jsep: an answer to our offer).
export function onMuteEvents(msg, jsep) {
  if (msg.videoroom === "joined") {
    feedMutes.clear();
    memberMutes.clear();
  }
  if (msg.publishers) onPublishersList(msg.publishers);
  if (msg.muted && typeof msg.muted === "object") setMute(msg.muted.id, msg.muted.type, "self", msg.muted.muted);
  if (msg.moderation) setMute(msg.moderation.id, msg.moderation.type, "moderator", msg.moderation.muted);
  if (msg.attendee) onAttendeeMutes(msg.attendee);
  const gone = msg.leaving ?? msg.unpublished;
  if (gone !== undefined && gone !== "ok") feedMutes.delete(gone);
  // A (new) PeerConnection was negotiated: the room learns what we keep switched off.
  if (jsep?.type === "answer" && msg.configured === "ok") tellRoom(false);
}

export function initMutes() {
  $("mute-audio").addEventListener("click", () => onToggle("audio"));  // after media.js's own
  $("mute-video").addEventListener("click", () => onToggle("video"));
  const before = state.onLocalTrack;  // prejoin.js's: tracks switched off before joining
  state.onLocalTrack = (track, on) => { before?.(track, on); onLocalTrack(track, on); };
  // Tiles come when their media does, after the room said who is muted.
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (!(node instanceof HTMLElement) || !node.classList.contains("tile")) continue;
        if (node.dataset.member !== undefined) showMember(node.dataset.member);
        else showFeed(Number(node.id.replace(/^tile-/, "")));
      }
    }
  }).observe($("grid"), { childList: true });
}
