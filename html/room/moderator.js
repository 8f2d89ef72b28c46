// Moderator actions (shown only to the room's moderators).
import { $, fail, state } from "./state.js";

state.muteAll = (kind = "audio", mute = true) => new Promise((resolve, reject) => {
  state.publisher.send({
    message: { request: "mute_all", kind, mute },
    success: (result) => (result?.error ? reject(new Error(result.error)) : resolve(result)),
    error: reject,
  });
});

export function initModerator() {
  $("mute-all").addEventListener("click", () => state.muteAll().catch((e) => fail(e.message)));
}
