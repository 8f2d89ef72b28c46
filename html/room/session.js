// The Janus session: joining as publisher, the subscriber handle, and the dispatcher of the
// room's events to the modules that show them.
import { addMessage, onAttendee, onComposing, renderParticipants, stopTyping } from "./chat.js";
import { addFile } from "./files.js";
import { onDialProgress } from "./invite.js";
import { onAttendee as attendeeTile, onRoomEvent } from "./layout.js";
import { publishOwnFeed } from "./media.js";
import { onJoinedModeration, onLocked, onModeration, onPublisherStreams } from "./moderator.js";
import { onAttendeeMutes, onMuteEvents } from "./mutes.js";
import { isNewMessage, mediaHooks, onRoomJoined, onServerLost } from "./reconnect.js";
import { $, PLUGIN, explain, fail, iceServers, params, serverUrl, state } from "./state.js";
import { isMixFeed, playMix, stopMix } from "./phones.js";
import { removeTile, tile } from "./tiles.js";

export function onPublishers(publishers) {
  const streams = [];
  for (const publisher of publishers) {
    if (publisher.id === state.myId) continue;
    if (isMixFeed(publisher)) {  // the phones' audio: played, no tile, not a participant (phones.js)
      state.mixFeeds.add(publisher.id);
      streams.push({ feed: publisher.id });
      continue;
    }
    state.participants.set(publisher.id, publisher.display || `participant ${publisher.id}`);
    onPublisherStreams(publisher);
    streams.push({ feed: publisher.id });
  }
  renderParticipants();
  if (streams.length) subscribeTo(streams);
}

export function onGone(feed) {
  if (state.mixFeeds.has(feed)) return stopMix(feed);
  state.participants.delete(feed);
  stopTyping(feed);
  removeTile(feed);
  removeTile(`${feed}-screen`);
  renderParticipants();
}

// One negotiation at a time: a second `subscribe` sent before the first offer is answered makes
// the room send its next offer while the page still answers the first one, and the answer then
// meets the wrong offer ("order of m-lines in answer doesn't match": two people joining at once).
// Streams asked for meanwhile wait, and go in one request when the answer is sent.
export function subscribeTo(streams) {
  if (state.subscriberNegotiating) {
    state.pendingSubscriptions.push(...streams);
    return;
  }
  state.subscriberNegotiating = true;
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

function negotiationDone() {
  state.subscriberNegotiating = false;
  const wanted = new Map();
  for (const stream of state.pendingSubscriptions.splice(0)) {
    if (state.participants.has(stream.feed) || state.mixFeeds.has(stream.feed)) wanted.set(stream.feed, stream);  // not those gone meanwhile
  }
  if (wanted.size) subscribeTo([...wanted.values()]);
}

export function attachSubscriber(attached) {
  state.subscriberAttaching = true;
  state.janus.attach({
    plugin: PLUGIN,
    ...mediaHooks("subscriber"),
    success: (handle) => { state.subscriber = handle; state.subscriberAttaching = false; attached?.(handle); },
    error: (e) => { state.subscriberAttaching = false; fail(`cannot attach the subscriber: ${e}`); },
    onmessage: (msg, jsep) => {
      if (msg.error) {
        negotiationDone();
        return fail(explain(msg));
      }
      if (msg.streams) {
        for (const stream of msg.streams) {
          if (stream.feed_id !== undefined) {
            state.feedsByMid.set(stream.mid, { feed: stream.feed_id, type: stream.type, screen: stream.feed_description === "screen",
                                               mix: state.mixFeeds.has(stream.feed_id) });
          } else if (stream.active === false && state.feedsByMid.has(stream.mid)) {
            // The room ended this stream (a share stopped). Its tile goes now, and the mid is
            // forgotten: janus.js reports a removed track only through its mute timer, and a
            // late unmute would otherwise bring the tile back.
            const gone = state.feedsByMid.get(stream.mid);
            state.feedsByMid.delete(stream.mid);
            if (gone.screen) removeTile(`${gone.feed}-screen`);
          }
        }
      }
      if (jsep) {
        state.subscriber.createAnswer({
          jsep,
          tracks: [{ type: "data" }],
          success: (answer) => state.subscriber.send({ message: { request: "start" }, jsep: answer,
                                                       success: negotiationDone, error: negotiationDone }),
          error: (e) => { negotiationDone(); fail(`cannot answer the room's offer: ${e}`); },
        });
      }
    },
    onremotetrack: (track, mid, on) => {
      const info = state.feedsByMid.get(mid);
      if (!info) return;
      if (!on && info.screen) removeTile(`${info.feed}-screen`);  // the share ended: its tile goes
      if (!on) return;
      state.tracks.set(track.id, info);
      if (info.mix) return playMix(track);
      const name = state.participants.get(info.feed) || "";
      const video = info.screen ? tile(`${info.feed}-screen`, `${name} (screen)`) : tile(info.feed, name);
      const stream = video.srcObject || new MediaStream();
      stream.getTracks().filter((t) => t.kind === track.kind).forEach((t) => stream.removeTrack(t));
      stream.addTrack(track);
      video.srcObject = stream;
    },
  });
}

function onPublisherMessage(msg, jsep) {
  if (msg.error) {
    fail(explain(msg));
    if (!state.myId) $("join").disabled = false;
    if (!state.myId) state.onJoinError?.(msg);  // prejoin.js: ask again (PIN), say why
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
    (msg.history || []).filter(isNewMessage).forEach(addMessage);  // a rejoin keeps what is shown
    (msg.raised_hands || []).forEach((id) => state.hands.add(id));
    state.fileToken = msg.file_token || null;
    $("files-panel").hidden = !state.fileToken;
    (msg.files || []).forEach(addFile);
    onJoinedModeration(msg);
    if (!state.subscriber && !state.subscriberAttaching) attachSubscriber();  // connect() attached it already
    // Who is here through other plugins (MSRP and SIP clients, ...): private recipients too.
    state.publisher.send({ message: { request: "listparticipants", room: state.room },
                           success: (reply) => (reply?.attendees || []).forEach((a) => { onAttendee({ ...a, present: true }); attendeeTile({ ...a, present: true }); onAttendeeMutes({ ...a, present: true }); }) });
    if (params.has("listen") || state.listenOnly) state.status = "listening";  // join to watch, without a camera
    else publishOwnFeed();
    // wait for the subscriber handle before subscribing to those already publishing
    const waitForSubscriber = () => (state.subscriber ? onPublishers(msg.publishers || []) : setTimeout(waitForSubscriber, 50));
    waitForSubscriber();
    onRoomJoined();
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
    if (msg.moderation) onModeration(msg.moderation, renderParticipants);
    if (msg.locked !== undefined) onLocked(msg.locked);
    if (msg.dial) onDialProgress(msg.dial);
    if (msg.reason === "kicked") fail("A moderator removed you from the room.");
    if (msg.configured === "ok") state.status = "publishing";
  } else if (event === "talking" || event === "stopped-talking") {
    // a phone's talking (another plugin's member) names its audio tile by member id
    const tileElement = msg.member !== undefined
      ? document.querySelector(`#grid > .tile[data-member="${CSS.escape(String(msg.member))}"]`)
      : document.getElementById(`tile-${msg.id === state.myId ? "local" : msg.id}`);
    tileElement?.classList.toggle("talking", event === "talking");
  } else if (event === "destroyed") {
    fail("The room was closed.");
  }
  onMuteEvents(msg, jsep);  // muted microphones and stopped cameras on the tiles
  onRoomEvent(msg);  // layouts, audio tiles, the raised hands' queue
  if (jsep) state.publisher.handleRemoteJsep({ jsep });
}

export function join(event) {
  event.preventDefault();
  $("join").disabled = true;
  $("error").textContent = "";
  state.error = null;
  Object.assign(state, { server: serverUrl, redirected: false });  // a new join asks where the room is again
  connect((e) => { fail(`cannot reach the server at ${state.server}: ${e}`); $("join").disabled = false; });
}

const CLUSTER = "janus.plugin.sylk.cluster";

// In a cluster the room's media lives on its owner node (docs/cluster.md): the page asks the node
// it reached who owns the room and, if another node does, talks to that one instead (once per
// join: an owner that changes meanwhile is not chased). A server without the cluster plugin, or
// a single node (its answer is "local"), goes on at once. A cluster whose rooms span nodes
// (`span_rooms`, "Video across nodes") says so in its answer: the page then stays, and the
// node relays the other nodes' publishers to it.
function toRoomsNode(janus, room, proceed) {
  let handle = null;
  let settled = false;
  // A plugin that cannot answer (its node waits for NATS) does not hold the join up for long.
  const timer = setTimeout(() => settle(null), 5000);
  const settle = (answer) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    handle?.detach();
    // Asked again on the node it moved to (the owner then holds the room for this join), but
    // never moved twice.
    const elsewhere = !state.redirected && answer && answer.local === false && !answer.span_rooms &&
      answer.ws_url && answer.ws_url !== state.server;
    if (!elsewhere) return proceed();
    state.redirected = true;
    state.server = answer.ws_url;
    state.filesBase = answer.http_url || null;  // its file token is good on its HTTP server only (files.js)
    state.janus = null;  // the error callback of the session left behind is not a lost server
    janus.destroy({ notifyDestroyed: false });
    connect(state.unreachable);
  };
  janus.attach({
    plugin: CLUSTER,
    success: (attached) => {
      handle = attached;
      attached.send({ message: { request: "owner", room, joining: true }, error: () => settle(null) });
    },
    error: () => settle(null),  // no cluster plugin: a stock or single janus
    onmessage: (msg) => settle(msg),  // answered on the plugin's loop (it may wait for NATS)
  });
}

// A Janus session, the publisher handle and the join (also how reconnect.js joins again).
// unreachable(error): the session could not be made or was lost before joining; a session
// lost once in the room goes to reconnect.js.
export function connect(unreachable) {
  state.unreachable = unreachable;
  Janus.init({
    debug: false,
    dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
    callback: () => {
      const typed = $("room").value.trim();
      const room = /^\d+$/.test(typed) ? Number(typed) : typed;
      const janus = new Janus({
        server: state.server,
        iceServers,
        // The subscriber handle is attached while the publisher joins (one round trip less
        // before the first remote frame); it joins the room once we are in.
        success: () => toRoomsNode(janus, room, () => {
          attachSubscriber();
          janus.attach({
            plugin: PLUGIN,
            ...mediaHooks("publisher"),
            success: (handle) => {
              state.publisher = handle;
              handle.send({ message: { request: "join", ptype: "publisher", room,
                                       display: $("display").value.trim(), pin: $("pin").value || undefined } });
            },
            error: (e) => fail(`cannot attach to ${PLUGIN}: ${e}`),
            onmessage: onPublisherMessage,
            onlocaltrack: (track, on) => {
              state.onLocalTrack?.(track, on);  // prejoin.js: muted before joining
              if (track.kind !== "video" || !on) return;
              tile("local", `${$("display").value} (you)`).srcObject = new MediaStream([track]);
            },
          });
        }),
        error: (e) => {
          if (state.janus !== janus) return;  // a session reconnect.js left behind
          state.myId ? onServerLost(e) : unreachable(e);
        },
      });
      state.janus = janus;
    },
  });
}


export function initSession() {
  $("join-form").addEventListener("submit", join);
  $("leave").addEventListener("click", () => {
    state.janus?.destroy();
    location.reload();
  });
}
