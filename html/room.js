// Conference page on janus.plugin.sylk.videoroom: one publisher handle sends camera and
// microphone and carries the chat; one subscriber handle receives every other participant's
// streams over a single PeerConnection (multistream). window.sylkRoom exposes the state for
// automated browser tests.
const PLUGIN = "janus.plugin.sylk.videoroom";
const params = new URLSearchParams(location.search);
const serverUrl = params.get("server") || `ws://${location.hostname || "127.0.0.1"}:8188/`;
const $ = (id) => document.getElementById(id);

const state = {
  status: "idle", error: null, room: null, myId: null, privateId: null,
  participants: new Map(),  // id -> display (those publishing)
  feedsByMid: new Map(),    // subscriber mid -> {feed, display, type}
  tracks: new Map(),        // remote track id -> feed id
  messages: [],
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
    const feed = state.tracks.get(report.trackIdentifier);
    if (feed === undefined) return;
    const entry = (result[feed] ||= { display: state.participants.get(feed), audioBytes: 0, videoBytes: 0, framesDecoded: 0 });
    if (report.kind === "audio") entry.audioBytes += report.bytesReceived || 0;
    if (report.kind === "video") {
      entry.videoBytes += report.bytesReceived || 0;
      entry.framesDecoded += report.framesDecoded || 0;
    }
  });
  return result;
};

state.sendChat = (text, to) => new Promise((resolve, reject) => {
  const message = { request: "message", text };
  if (to) message.to = to;
  state.publisher.send({ message, success: resolve, error: reject });
});

function renderParticipants() {
  const list = $("participants");
  list.replaceChildren();
  const me = document.createElement("li");
  me.textContent = `${$("display").value} (you)`;
  list.appendChild(me);
  for (const [, display] of state.participants) {
    const item = document.createElement("li");
    item.textContent = display;
    list.appendChild(item);
  }
}

function addMessage(message) {
  state.messages.push(message);
  const item = document.createElement("li");
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = `${message.display}${message.private ? " (private)" : ""}:`;
  item.append(from, document.createTextNode(message.text));
  $("messages").appendChild(item);
  $("messages").scrollTop = $("messages").scrollHeight;
}

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
  removeTile(feed);
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
          if (stream.feed_id !== undefined) state.feedsByMid.set(stream.mid, { feed: stream.feed_id, type: stream.type });
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
      state.tracks.set(track.id, info.feed);
      const video = tile(info.feed, state.participants.get(info.feed) || "");
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
      { type: "video", capture: { width: 320, height: 240 }, recv: false },
    ],
    success: (jsep) => state.publisher.send({ message: { request: "configure", audio: true, video: true }, jsep }),
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
    attachSubscriber();
    publishOwnFeed();
    // wait for the subscriber handle before subscribing to those already publishing
    const waitForSubscriber = () => (state.subscriber ? onPublishers(msg.publishers || []) : setTimeout(waitForSubscriber, 50));
    waitForSubscriber();
  } else if (event === "event") {
    if (msg.publishers) onPublishers(msg.publishers);
    if (msg.unpublished !== undefined && msg.unpublished !== "ok") onGone(msg.unpublished);
    if (msg.leaving !== undefined && msg.leaving !== "ok") onGone(msg.leaving);
    if (msg.message) addMessage(msg.message);
    if (msg.configured === "ok") state.status = "publishing";
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
        iceServers: [],
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
  if (text) state.sendChat(text).catch((e) => fail(`chat: ${e}`));
  $("chat-text").value = "";
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
$("leave").addEventListener("click", () => {
  state.janus?.destroy();
  location.reload();
});
for (const [field, key] of [["room", "room"], ["display", "name"], ["pin", "pin"]]) {
  if (params.has(key)) $(field).value = params.get(key);
}
if (params.has("autojoin")) $("join").click();
