// Moderator actions, shown only to the room's moderators (the join reply says who is one; the
// server refuses the requests of anyone else anyway): per participant mute microphone or
// camera and remove (with a confirmation), mute everyone, lock or unlock the room. The lock
// state is shown to everyone.
import { $, fail, state } from "./state.js";

state.streamsOf = new Map();  // participant id -> [{mid, type}] as the room announced them
state.mutedBy = new Map();    // participant id -> Set of kinds ("audio", "video") a moderator muted
state.locked = false;
// phonemute16: other plugins' members a moderator can mute through the hub (the audio mixer's:
// phones) -> whether a moderator muted them, from their attendee events.
const mutableMembers = new Map();
const MUTABLE_PLUGINS = new Set(["janus.plugin.sylk.audiomixer"]);  // the plugins that obey a hub mute order

function moderatorRequest(message) {
  return new Promise((resolve, reject) => {
    state.publisher.send({
      message,
      success: (result) => (result?.error ? reject(new Error(result.error)) : resolve(result)),
      error: reject,
    });
  });
}

state.muteAll = (kind = "audio", mute = true) => moderatorRequest({ request: "mute_all", kind, mute });

// Mutes (or unmutes) every stream of one kind of a participant.
state.moderate = async (id, kind, mute) => {
  const streams = (state.streamsOf.get(id) || []).filter((s) => s.type === kind);
  if (streams.length === 0) throw new Error(`no ${kind} from that participant`);
  for (const { mid } of streams) await moderatorRequest({ request: "moderate", id, mid, mute });
};

// Our participants by number; other plugins' members (phones, XMPP, MSRP) by member id.
state.kick = (to) => moderatorRequest(typeof to === "number" ? { request: "kick", id: to } : { request: "kick", member: to });

// A phone (another plugin's member) by member id: the room posts a hub mute order its plugin obeys.
state.moderateMember = (member, mute) => moderatorRequest({ request: "moderate", member, mute });

// chat.js, before it renders the roster: which members can be muted, and whether they are.
export function onAttendeeModeration(attendee) {
  if (attendee.present === false || !MUTABLE_PLUGINS.has(attendee.plugin)) mutableMembers.delete(attendee.id);
  else mutableMembers.set(attendee.id, Boolean(attendee.muted_by_moderator));
}

state.lockRoom = (locked) => moderatorRequest({ request: "lock", locked });

function say(text) {
  $("moderator-status").textContent = text;
}

function toggle(label, pressed, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "moderate";
  button.textContent = label;
  if (pressed !== undefined) button.setAttribute("aria-pressed", String(pressed));
  button.onclick = onClick;
  return button;
}

let kickTarget = null;

// The buttons a moderator sees next to a participant in the roster (none for others).
export function moderatorControls(to, display) {
  if (!state.moderator) return [];
  const controls = [];
  if (typeof to === "number") {
    const muted = state.mutedBy.get(to) || new Set();
    for (const [kind, what] of [["audio", "microphone"], ["video", "camera"]]) {
      if (!(state.streamsOf.get(to) || []).some((s) => s.type === kind)) continue;
      const isMuted = muted.has(kind);
      const button = toggle(isMuted ? `Unmute ${what}` : `Mute ${what}`, isMuted, () =>
        state.moderate(to, kind, !isMuted).catch((e) => fail(e.message)));
      // The visible text begins the name (WCAG 2.5.3), the participant's name follows.
      button.setAttribute("aria-label", `${isMuted ? "Unmute" : "Mute"} ${what} of ${display}`);
      controls.push(button);
    }
  } else if (mutableMembers.has(to)) {
    const isMuted = mutableMembers.get(to);
    const button = toggle(isMuted ? "Unmute microphone" : "Mute microphone", isMuted, () =>
      state.moderateMember(to, !isMuted).catch((e) => fail(e.message)));  // the attendee update re-renders
    button.setAttribute("aria-label", `${isMuted ? "Unmute" : "Mute"} microphone of ${display}`);
    controls.push(button);
  }
  const remove = toggle("Remove", undefined, () => {
    kickTarget = to;
    $("kick-text").textContent = `${display} leaves the room and sees that a moderator removed them.`;
    $("kick-heading").textContent = `Remove ${display} from the room?`;
    $("kick-dialog").showModal();
    $("kick-cancel").focus();
  });
  remove.classList.add("danger");
  remove.setAttribute("aria-label", `Remove ${display} from the room`);
  controls.push(remove);
  return controls;
}

function showLock() {
  $("room-lock").textContent = state.locked ? "Room locked: nobody else can join" : "";
  $("lock-room").textContent = state.locked ? "Unlock the room" : "Lock the room";
  $("lock-room").setAttribute("aria-pressed", String(state.locked));
}

// From the session's dispatcher: the join reply, and the room's moderation and lock events.
export function onJoinedModeration(msg) {
  state.moderator = Boolean(msg.moderator);
  state.locked = Boolean(msg.locked);
  $("mute-all").hidden = !state.moderator;
  $("moderator-panel").hidden = !state.moderator;
  showLock();
}

export function onPublisherStreams(publisher) {
  if (publisher.streams) state.streamsOf.set(publisher.id, publisher.streams.map(({ mid, type }) => ({ mid, type })));
}

export function onModeration(moderation, rerender) {
  const kinds = state.mutedBy.get(moderation.id) || new Set();
  moderation.muted ? kinds.add(moderation.type) : kinds.delete(moderation.type);
  state.mutedBy.set(moderation.id, kinds);
  if (moderation.id === state.myId) {
    const what = moderation.type === "audio" ? "microphone" : "camera";
    $("error").textContent = `A moderator ${moderation.muted ? "muted" : "unmuted"} your ${what}.`;
    state.mutedByModerator = [...kinds];
  }
  rerender();
}

export function onLocked(locked) {
  state.locked = Boolean(locked);
  showLock();
}

export function initModerator() {
  $("mute-all").addEventListener("click", () =>
    state.muteAll().then((r) => say(`Muted ${r?.streams ?? 0} microphone(s).`)).catch((e) => fail(e.message)));
  $("lock-room").addEventListener("click", () =>
    state.lockRoom(!state.locked).then((r) => { onLocked(r?.locked); say(state.locked ? "The room is locked." : "The room is open."); })
      .catch((e) => fail(e.message)));
  $("kick-cancel").addEventListener("click", () => $("kick-dialog").close());
  $("kick-confirm").addEventListener("click", () => {
    $("kick-dialog").close();
    const target = kickTarget;
    kickTarget = null;
    if (target !== null) state.kick(target).then(() => say("Removed.")).catch((e) => fail(e.message));
  });
}
