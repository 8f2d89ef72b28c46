// What we send: camera and microphone, screen sharing, and what we ask to receive (last-N,
// simulcast/SVC layers); the toolbar's media buttons.
import { captureFor } from "./prejoin.js";
import { $, fail, params, state } from "./state.js";

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

export function publishOwnFeed() {
  state.publisher.createOffer({
    tracks: [
      { type: "audio", capture: captureFor("audio", true), recv: false },
      params.has("simulcast")
        ? { type: "video", capture: captureFor("video", { width: 1280, height: 720 }), simulcast: true, recv: false }
        : params.has("svc")
          ? { type: "video", capture: captureFor("video", { width: 1280, height: 720 }), svc: "L3T3_KEY", recv: false }
          : { type: "video", capture: captureFor("video", { width: 320, height: 240 }), recv: false },
    ].filter((track) => track.capture),  // prejoin.js: none for a device the person does not have
    success: (jsep) => state.publisher.send({
      message: { request: "configure", audio: true, video: true, videocodec: params.has("svc") ? "vp9" : undefined },
      jsep,
    }),
    error: (e) => {
      fail(`No camera or microphone available (${e?.message || e}). You can still follow the room and chat.`);
    },
  });
}


export function initMedia() {
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
  $("low-bandwidth").addEventListener("change", (event) => {
    state.setLastN(event.target.checked ? 2 : 0).catch((e) => fail(`low-bandwidth mode: ${e}`));
  });
}
