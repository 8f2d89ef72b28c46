// The room's phones (the audio mixer's participants: phones called in by the focus, Jingle
// callers, mixer WebRTC users) as one sound: the video room's audio-only mix feed, marked
// "audio_mix" in its publishers entry (docs/architecture.md, "Web users and phones hear each
// other"). It gets no tile (each phone has its member tile already, with its talking state):
// the page only plays it, in a hidden <audio> element, on the speaker chosen for the room.
import { routeAudio } from "./devices.js";
import { state } from "./state.js";

export function isMixFeed(publisher) {
  return publisher.audio_mix === true;
}

export function playMix(track) {
  let element = document.getElementById("phones-audio");
  if (!element) {
    element = document.createElement("audio");
    element.id = "phones-audio";
    element.className = "remote-audio";
    element.autoplay = true;
    element.hidden = true;
    document.body.append(element);
  }
  element.srcObject = new MediaStream([track]);
  routeAudio(element);
  element.play?.().catch(() => {});  // autoplay refused: the joined room's click allows it later
}

// The mix feed went (the last phone left, or the room's last web publisher).
export function stopMix(feed) {
  state.mixFeeds.delete(feed);
  if (state.mixFeeds.size === 0) document.getElementById("phones-audio")?.remove();
}
