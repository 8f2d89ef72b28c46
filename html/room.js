// Conference page on janus.plugin.sylk.videoroom: one publisher handle sends camera and
// microphone and carries the chat; one subscriber handle receives every other participant's
// streams over a single PeerConnection (multistream). window.sylkRoom exposes the state for
// automated browser tests.
import { connectionSettings } from "./connection.js";
const PLUGIN = "janus.plugin.sylk.videoroom";
const params = new URLSearchParams(location.search);
const { server: serverUrl, iceServers } = await connectionSettings(params.get("server"));
const $ = (id) => document.getElementById(id);

const state = {
  status: "idle", error: null, room: null, myId: null, privateId: null,
  participants: new Map(),  // id -> display (those publishing)
  hands: new Set(),         // ids of participants with a raised hand
  moderator: false,
  fileToken: null,
  files: [],                // shared in the room: {id, name, size, display}
  uploadProgress: [],       // fractions seen while uploading, for tests and the progress bar
  downloadProgress: [],
  feedsByMid: new Map(),    // subscriber mid -> {feed, display, type}
  tracks: new Map(),        // remote track id -> feed id
  messages: [],
  attendees: new Map(),     // members through other plugins (MSRP, SIP, XMPP): member id -> display
  chatTo: "",               // the private recipient picked in #chat-to: "" (everyone), a number or a member id
  janus: null, publisher: null, subscriber: null, subscriberJoined: false,
};
window.sylkRoom = state;

function fail(message) {
  state.error = String(message);
  $("error").textContent = state.error;
}

const ERROR_TEXT = {
  433: "Wrong PIN for this room.",
  432: "The room is full: it has its maximum number of publishers.",
  426: "There is no such room.",
};

function explain(msg) {
  return ERROR_TEXT[msg.error_code] || `${msg.error} (code ${msg.error_code})`;
}

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

// Screen sharing: a second video m-line on the publisher's PeerConnection, described as
// "screen" so that the others show it as such. track: a MediaStreamTrack to share instead of
// asking the browser for a screen (tests pass a canvas track).
state.shareScreen = (track) => new Promise((resolve, reject) => {
  state.publisher.createOffer({
    tracks: [track ? { type: "video", capture: track, add: true, recv: false }
                   : { type: "screen", capture: true, add: true, recv: false }],
    success: (jsep) => {
      const videoSections = jsep.sdp.split(/\r\nm=/).filter((section) => section.startsWith("video"));
      const mid = /a=mid:(\S+)/.exec(videoSections[videoSections.length - 1] || "")?.[1];
      state.screenMid = mid;
      state.publisher.send({ message: { request: "configure", descriptions: [{ mid, description: "screen" }] }, jsep,
                             success: resolve, error: reject });
      $("share-screen").textContent = "Stop sharing";
    },
    error: (e) => { fail(`cannot share the screen: ${e?.message || e}`); reject(e); },
  });
});

state.stopScreen = () => new Promise((resolve, reject) => {
  state.publisher.createOffer({
    tracks: [{ type: "screen", mid: state.screenMid, remove: true }],
    success: (jsep) => {
      state.screenMid = null;
      state.publisher.send({ message: { request: "configure" }, jsep, success: resolve, error: reject });
      $("share-screen").textContent = "Share screen";
    },
    error: reject,
  });
});

// Low-bandwidth mode: the server sends video of only the n latest speakers (0: everyone).
state.setLastN = (n) => new Promise((resolve, reject) => {
  state.lastN = n;
  if (!state.subscriber) return resolve();
  state.subscriber.send({ message: { request: "configure", last_n: n }, success: resolve, error: reject });
});

// Picks the layers received from a feed's video: {substream, temporal} for simulcast,
// {spatial_layer, temporal_layer} for VP9 SVC.
state.setLayer = (feed, layers) => new Promise((resolve, reject) => {
  const mid = [...state.feedsByMid].find(([, info]) => info.feed === feed && info.type === "video" && !info.screen)?.[0];
  if (mid === undefined) return reject(new Error(`no video from ${feed}`));
  state.subscriber.send({ message: { request: "configure", streams: [{ mid, ...layers }] }, success: resolve, error: reject });
});

state.raiseHand = (raised) => state.publisher.send({ message: { request: "raise_hand", raised } });

state.sendChat = (text, to) => new Promise((resolve, reject) => {
  const message = { request: "message", text };
  if (to) message.to = to;
  state.publisher.send({ message, success: resolve, error: reject });
});

// Everyone the chat can go to privately: our participants (by number) and other plugins'
// members (by member id), as the video room's message and composing take them.
function recipients() {
  return [...[...state.participants].map(([id, display]) => ({ to: id, display })),
          ...[...state.attendees].map(([id, display]) => ({ to: id, display }))];
}

function displayOf(ref) {
  return state.participants.get(ref) ?? state.attendees.get(ref) ?? String(ref);
}

// Picks the private recipient ("" for everyone): the select, the input's placeholder, state.chatTo.
state.chooseRecipient = (to) => {
  const known = to === "" || recipients().some((r) => r.to === to);
  state.chatTo = known ? to : "";
  $("chat-to").value = String(state.chatTo);
  $("chat-text").placeholder = state.chatTo === "" ? "Message to everyone"
                                                   : `Private message to ${displayOf(state.chatTo)}`;
  $("chat-form").classList.toggle("private", state.chatTo !== "");
};

function renderRecipients() {
  const select = $("chat-to");
  const everyone = document.createElement("option");
  everyone.value = "";
  everyone.textContent = "Everyone";
  select.replaceChildren(everyone, ...recipients().map(({ to, display }) => {
    const option = document.createElement("option");
    option.value = String(to);
    option.textContent = `${display} (private)`;
    return option;
  }));
  state.chooseRecipient(state.chatTo);  // a recipient who left falls back to everyone
}

function renderParticipants() {
  const list = $("participants");
  list.replaceChildren();
  const me = document.createElement("li");
  me.textContent = `${$("display").value} (you)`;
  list.appendChild(me);
  if (state.handRaised) me.textContent += " ✋";
  for (const { to, display } of recipients()) {
    const item = document.createElement("li");
    item.textContent = display + (state.hands.has(to) ? " ✋" : "");
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "message-privately";
    pick.textContent = "Message privately";
    pick.dataset.to = String(to);
    pick.onclick = () => { state.chooseRecipient(to); $("chat-text").focus(); };
    item.append(" ", pick);
    list.appendChild(item);
  }
  renderRecipients();
}

function onAttendee(attendee) {
  if (attendee.present) state.attendees.set(attendee.id, attendee.display || attendee.id);
  else state.attendees.delete(attendee.id);
  if (!attendee.present) stopTyping(attendee.id);
  renderParticipants();
}

// Who is typing (a web user's composing, a SIP client's RFC 3994 is-composing, an XMPP chat
// state: the video room relays them all as "composing"), by member ref. Shown under the chat
// until they say idle, send a message or leave, or 120 s after their last refresh (RFC 3994's
// receiver timeout for an active state; a sender says idle itself after 15 s without typing).
const kTypingQuietMs = 120000;
state.typing = new Map();  // ref -> { display, private, timer }

function renderTyping() {
  const names = [...state.typing.values()].map((t) => (t.private ? `${t.display} (privately)` : t.display));
  $("typing").textContent = names.length === 0 ? ""
    : names.length === 1 ? `${names[0]} is typing…`
    : `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
}

function stopTyping(ref) {
  const typing = state.typing.get(ref);
  if (!typing) return;
  clearTimeout(typing.timer);
  state.typing.delete(ref);
  renderTyping();
}

function onComposing(composing) {
  if (composing.id === state.myId) return;
  stopTyping(composing.id);
  if (!composing.active) return;
  const timer = setTimeout(() => stopTyping(composing.id), kTypingQuietMs);
  state.typing.set(composing.id, { display: composing.display || displayOf(composing.id),
                                   private: Boolean(composing.private), timer });
  renderTyping();
}

// Our own typing, told to the room (or to the private recipient), as an RFC 3994 sender: "active"
// when typing starts and again every 30 s while it goes on (SIP receivers hear a 60 s refresh),
// "idle" when the input is emptied or after 15 s without a key; a sent message ends it at the
// receivers by itself.
const kTypingRefreshMs = 30000;
const kTypingIdleMs = 15000;
let typingSentAt = 0;
let typingSentTo = null;
let typingIdleTimer = null;

function sendComposing(active) {
  if (!state.publisher || !state.myId) return;
  const message = { request: "composing", active };
  if (state.chatTo !== "" && state.chatTo !== undefined) message.to = state.chatTo;
  state.publisher.send({ message, error: () => {} });  // best effort: a lost typing notice harms nothing
}

function typingEnded(tell) {
  clearTimeout(typingIdleTimer);
  if (tell && typingSentAt) sendComposing(false);
  typingSentAt = 0;
}

function onChatInput() {
  const text = $("chat-text").value;
  const now = Date.now();
  if (text.trim() === "") {
    typingEnded(true);
    return;
  }
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(() => typingEnded(true), kTypingIdleMs);
  if (typingSentAt && now - typingSentAt < kTypingRefreshMs && typingSentTo === state.chatTo) return;
  typingSentAt = now;
  typingSentTo = state.chatTo;
  sendComposing(true);
}

function addMessage(message) {
  state.messages.push(message);
  if (message.from !== undefined) stopTyping(message.from);
  const item = document.createElement("li");
  const from = document.createElement("span");
  from.className = "from";
  let label = message.display;
  if (message.private) {
    // Ours (sent to someone) or to us: who it went to is said, not only that it was private.
    label = message.from === state.myId ? `${message.display} (private to ${displayOf(message.to)})`
                                        : `${message.display} (private)`;
    item.classList.add("private");
  }
  from.textContent = `${label}:`;
  item.append(from, document.createTextNode(message.text));
  $("messages").appendChild(item);
  $("messages").scrollTop = $("messages").scrollHeight;
}

function humanSize(bytes) {
  return bytes > 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

function addFile(file) {
  if (state.files.some((f) => f.id === file.id)) return;
  state.files.push(file);
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Download";
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  button.addEventListener("click", async () => {
    const blob = await state.downloadFile(file.id, (fraction) => { bar.value = fraction; });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = file.name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });
  item.append(`${file.name} (${humanSize(file.size)}, from ${file.display}) `, button, bar);
  $("files").appendChild(item);
}

// Uploads a Blob to the room; progress(fraction) follows the upload.
state.uploadFile = (blob, name, progress = () => {}) => new Promise((resolve, reject) => {
  const request = new XMLHttpRequest();
  request.open("POST", `/files/${state.fileToken}?name=${encodeURIComponent(name)}`);
  request.upload.onprogress = (event) => {
    if (!event.lengthComputable) return;
    state.uploadProgress.push(event.loaded / event.total);
    progress(event.loaded / event.total);
  };
  request.onload = () => {
    const reply = JSON.parse(request.responseText || "{}");
    request.status === 201 ? resolve(reply) : reject(new Error(reply.error || `upload failed (${request.status})`));
  };
  request.onerror = () => reject(new Error("upload failed: network error"));
  request.send(blob);
});

// Downloads a shared file as a Blob, reporting progress(fraction) as bytes arrive.
state.downloadFile = async (id, progress = () => {}) => {
  const response = await fetch(`/files/${state.fileToken}/${id}`);
  if (!response.ok) throw new Error((await response.json()).error || `download failed (${response.status})`);
  const total = Number(response.headers.get("Content-Length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (total) {
      state.downloadProgress.push(received / total);
      progress(received / total);
    }
  }
  return new Blob(chunks);
};

function tile(id, label) {
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

function removeTile(id) {
  document.getElementById(`tile-${id}`)?.remove();
}

function onPublishers(publishers) {
  const streams = [];
  for (const publisher of publishers) {
    if (publisher.id === state.myId) continue;
    state.participants.set(publisher.id, publisher.display || `participant ${publisher.id}`);
    streams.push({ feed: publisher.id });
  }
  renderParticipants();
  if (streams.length) subscribeTo(streams);
}

function onGone(feed) {
  state.participants.delete(feed);
  stopTyping(feed);
  removeTile(feed);
  removeTile(`${feed}-screen`);
  renderParticipants();
}

function subscribeTo(streams) {
  if (state.subscriberJoined) {
    state.subscriber.send({ message: { request: "subscribe", streams } });
    return;
  }
  state.subscriberJoined = true;
  state.subscriber.send({
    message: { request: "join", ptype: "subscriber", room: state.room, streams, private_id: state.privateId,
               pin: $("pin").value || undefined },
  });
}

function attachSubscriber() {
  state.janus.attach({
    plugin: PLUGIN,
    success: (handle) => { state.subscriber = handle; },
    error: (e) => fail(`cannot attach the subscriber: ${e}`),
    onmessage: (msg, jsep) => {
      if (msg.error) return fail(explain(msg));
      if (msg.streams) {
        for (const stream of msg.streams) {
          if (stream.feed_id !== undefined)
            state.feedsByMid.set(stream.mid, { feed: stream.feed_id, type: stream.type, screen: stream.feed_description === "screen" });
        }
      }
      if (jsep) {
        state.subscriber.createAnswer({
          jsep,
          tracks: [{ type: "data" }],
          success: (answer) => state.subscriber.send({ message: { request: "start" }, jsep: answer }),
          error: (e) => fail(`cannot answer the room's offer: ${e}`),
        });
      }
    },
    onremotetrack: (track, mid, on) => {
      const info = state.feedsByMid.get(mid);
      if (!info) return;
      if (!on) return;
      state.tracks.set(track.id, info);
      const name = state.participants.get(info.feed) || "";
      const video = info.screen ? tile(`${info.feed}-screen`, `${name} (screen)`) : tile(info.feed, name);
      const stream = video.srcObject || new MediaStream();
      stream.getTracks().filter((t) => t.kind === track.kind).forEach((t) => stream.removeTrack(t));
      stream.addTrack(track);
      video.srcObject = stream;
    },
  });
}

function publishOwnFeed() {
  state.publisher.createOffer({
    tracks: [
      { type: "audio", capture: true, recv: false },
      params.has("simulcast")
        ? { type: "video", capture: { width: 1280, height: 720 }, simulcast: true, recv: false }
        : params.has("svc")
          ? { type: "video", capture: { width: 1280, height: 720 }, svc: "L3T3_KEY", recv: false }
          : { type: "video", capture: { width: 320, height: 240 }, recv: false },
    ],
    success: (jsep) => state.publisher.send({
      message: { request: "configure", audio: true, video: true, videocodec: params.has("svc") ? "vp9" : undefined },
      jsep,
    }),
    error: (e) => {
      fail(`No camera or microphone available (${e?.message || e}). You can still follow the room and chat.`);
    },
  });
}

function onPublisherMessage(msg, jsep) {
  if (msg.error) {
    fail(explain(msg));
    if (!state.myId) $("join").disabled = false;
    return;
  }
  const event = msg.videoroom;
  if (event === "joined") {
    state.myId = msg.id;
    state.privateId = msg.private_id;
    state.room = msg.room;
    state.status = "joined";
    $("join-form").hidden = true;
    $("conference").hidden = false;
    $("room-title").textContent = msg.description || String(msg.room);
    (msg.history || []).forEach(addMessage);
    (msg.raised_hands || []).forEach((id) => state.hands.add(id));
    state.fileToken = msg.file_token || null;
    $("files-panel").hidden = !state.fileToken;
    (msg.files || []).forEach(addFile);
    state.moderator = Boolean(msg.moderator);
    $("mute-all").hidden = !state.moderator;
    attachSubscriber();
    // Who is here through other plugins (MSRP and SIP clients, ...): private recipients too.
    state.publisher.send({ message: { request: "listparticipants", room: state.room },
                           success: (reply) => (reply?.attendees || []).forEach((a) => onAttendee({ ...a, present: true })) });
    if (params.has("listen")) state.status = "listening";  // join to watch, without a camera
    else publishOwnFeed();
    // wait for the subscriber handle before subscribing to those already publishing
    const waitForSubscriber = () => (state.subscriber ? onPublishers(msg.publishers || []) : setTimeout(waitForSubscriber, 50));
    waitForSubscriber();
  } else if (event === "event") {
    if (msg.publishers) onPublishers(msg.publishers);
    if (msg.unpublished !== undefined && msg.unpublished !== "ok") onGone(msg.unpublished);
    if (msg.leaving !== undefined && msg.leaving !== "ok") onGone(msg.leaving);
    if (msg.message) addMessage(msg.message);
    if (msg.composing) onComposing(msg.composing);
    if (msg.attendee) onAttendee(msg.attendee);
    if (msg.file) addFile(msg.file);
    if (msg.dominant_speaker !== undefined) {
      state.dominant = msg.dominant_speaker;
      document.querySelectorAll(".tile.dominant").forEach((t) => t.classList.remove("dominant"));
      document.getElementById(`tile-${msg.dominant_speaker}`)?.classList.add("dominant");
    }
    if (msg.hand) {
      msg.hand.raised ? state.hands.add(msg.hand.id) : state.hands.delete(msg.hand.id);
      renderParticipants();
    }
    if (msg.moderation && msg.moderation.id === state.myId)
      $("error").textContent = `A moderator ${msg.moderation.muted ? "muted" : "unmuted"} your ${msg.moderation.type === "audio" ? "microphone" : "camera"}.`;
    if (msg.reason === "kicked") fail("A moderator removed you from the room.");
    if (msg.configured === "ok") state.status = "publishing";
  } else if (event === "talking" || event === "stopped-talking") {
    const tileElement = document.getElementById(`tile-${msg.id === state.myId ? "local" : msg.id}`);
    tileElement?.classList.toggle("talking", event === "talking");
  } else if (event === "destroyed") {
    fail("The room was closed.");
  }
  if (jsep) state.publisher.handleRemoteJsep({ jsep });
}

function join(event) {
  event.preventDefault();
  $("join").disabled = true;
  $("error").textContent = "";
  state.error = null;
  Janus.init({
    debug: false,
    dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
    callback: () => {
      state.janus = new Janus({
        server: serverUrl,
        iceServers,
        success: () => state.janus.attach({
          plugin: PLUGIN,
          success: (handle) => {
            state.publisher = handle;
            const room = $("room").value.trim();
            handle.send({ message: { request: "join", ptype: "publisher", room: /^\d+$/.test(room) ? Number(room) : room,
                                     display: $("display").value.trim(), pin: $("pin").value || undefined } });
          },
          error: (e) => fail(`cannot attach to ${PLUGIN}: ${e}`),
          onmessage: onPublisherMessage,
          onlocaltrack: (track, on) => {
            if (track.kind !== "video" || !on) return;
            tile("local", `${$("display").value} (you)`).srcObject = new MediaStream([track]);
          },
        }),
        error: (e) => { fail(`cannot reach the server at ${serverUrl}: ${e}`); $("join").disabled = false; },
      });
    },
  });
}

$("join-form").addEventListener("submit", join);
$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  if (text) state.sendChat(text, state.chatTo === "" ? undefined : state.chatTo).catch((e) => fail(`chat: ${e}`));
  $("chat-text").value = "";
  typingEnded(false);  // the message ended our typing at the receivers
});
$("chat-text").addEventListener("input", onChatInput);
$("chat-to").addEventListener("change", () => {
  const value = $("chat-to").value;
  state.chooseRecipient(/^\d+$/.test(value) ? Number(value) : value);
});
$("mute-audio").addEventListener("click", () => {
  const muted = state.publisher.isAudioMuted();
  muted ? state.publisher.unmuteAudio() : state.publisher.muteAudio();
  $("mute-audio").textContent = muted ? "Mute microphone" : "Unmute microphone";
});
$("mute-video").addEventListener("click", () => {
  const muted = state.publisher.isVideoMuted();
  muted ? state.publisher.unmuteVideo() : state.publisher.muteVideo();
  $("mute-video").textContent = muted ? "Stop camera" : "Start camera";
});
$("share-screen").addEventListener("click", () => (state.screenMid ? state.stopScreen() : state.shareScreen()).catch(() => {}));
$("raise-hand").addEventListener("click", () => {
  state.handRaised = !state.handRaised;
  state.raiseHand(state.handRaised);
  $("raise-hand").textContent = state.handRaised ? "Lower hand" : "Raise hand";
});
state.muteAll = (kind = "audio", mute = true) => new Promise((resolve, reject) => {
  state.publisher.send({
    message: { request: "mute_all", kind, mute },
    success: (result) => (result?.error ? reject(new Error(result.error)) : resolve(result)),
    error: reject,
  });
});
$("file-input").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const bar = $("upload-progress");
  bar.hidden = false;
  try {
    await state.uploadFile(file, file.name, (fraction) => { bar.value = fraction; });
  } catch (e) {
    fail(`cannot share ${file.name}: ${e.message}`);
  }
  bar.hidden = true;
  event.target.value = "";
});
$("low-bandwidth").addEventListener("change", (event) => {
  state.setLastN(event.target.checked ? 2 : 0).catch((e) => fail(`low-bandwidth mode: ${e}`));
});
$("mute-all").addEventListener("click", () => state.muteAll().catch((e) => fail(e.message)));
$("leave").addEventListener("click", () => {
  state.janus?.destroy();
  location.reload();
});
for (const [field, key] of [["room", "room"], ["display", "name"], ["pin", "pin"]]) {
  if (params.has(key)) $(field).value = params.get(key);
}
if (params.has("autojoin")) $("join").click();
