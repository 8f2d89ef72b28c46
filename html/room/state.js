// The conference page's shared state and small helpers. window.sylkRoom exposes the state for
// automated browser tests (and the console); every room module reads and writes it.
import { connectionSettings } from "../connection.js";

export const PLUGIN = "janus.plugin.sylk.videoroom";
export const params = new URLSearchParams(location.search);
export const { server: serverUrl, iceServers } = await connectionSettings(params.get("server"));
export const $ = (id) => document.getElementById(id);

export const state = {
  status: "idle", error: null, room: null, myId: null, privateId: null,
  server: serverUrl,        // the Janus API we talk to: the room's node in a cluster (session.js)
  participants: new Map(),  // id -> display (those publishing)
  mixFeeds: new Set(),      // ids of the room's phones mix feeds ("audio_mix", phones.js): played, no tile
  hands: new Set(),         // ids of participants with a raised hand
  moderator: false,
  fileToken: null,
  filesBase: null,          // the HTTP base of the node the page moved to, for files (files.js)
  files: [],                // shared in the room: {id, name, size, display}
  uploadProgress: [],       // fractions seen while uploading, for tests and the progress bar
  downloadProgress: [],
  feedsByMid: new Map(),    // subscriber mid -> {feed, display, type}
  tracks: new Map(),        // remote track id -> feed id
  messages: [],
  attendees: new Map(),     // members through other plugins (MSRP, SIP, XMPP): member id -> display
  chatTo: "",               // the private recipient picked in #chat-to: "" (everyone), a number or a member id
  janus: null, publisher: null, subscriber: null, subscriberJoined: false,
  subscriberNegotiating: false,  // an offer of the room not answered yet (session.js subscribeTo)
  pendingSubscriptions: [],      // streams asked for meanwhile
};
window.sylkRoom = state;

export function fail(message) {
  state.error = String(message);
  $("error").textContent = state.error;
}

export const ERROR_TEXT = {
  433: "Wrong PIN for this room.",
  432: "The room is full: it has its maximum number of publishers.",
  426: "There is no such room.",
};

export function explain(msg) {
  if (/room is locked/.test(msg.error || "")) return "This room is locked: a moderator has to unlock it before you can join.";
  return ERROR_TEXT[msg.error_code] || `${msg.error} (code ${msg.error_code})`;
}

