// The Invite dialog: the room's link to copy (the /r/<room> form of prejoin16's links), and for
// moderators "Call a phone into the room": the video room's "dial" request has the SIP focus
// call a SIP URI or phone number in; its progress (calling, ringing, answered, failed) comes
// back as "dial" events and is listed here.
import { $, fail, state } from "./state.js";

export const roomLink = (room) => `${location.origin}/r/${encodeURIComponent(room)}`;

state.dials = new Map();  // token -> {uri, state, status}

// Asks the room to call uri in; resolves with {token, uri, state: "calling"}.
state.dial = (uri) => new Promise((resolve, reject) => {
  state.publisher.send({
    message: { request: "dial", uri },
    success: (result) => (result?.error ? reject(new Error(result.error)) : resolve(result?.dial)),
    error: reject,
  });
});

const kStateText = {
  calling: "calling…",
  ringing: "ringing…",
  answered: "answered: in the room",
  failed: "did not answer",
};

function renderDial(token) {
  const dial = state.dials.get(token);
  let item = document.getElementById(`dial-${token}`);
  if (!item) {
    item = document.createElement("li");
    item.id = `dial-${token}`;
    $("dial-calls").appendChild(item);
  }
  item.className = `dial ${dial.state}`;
  const why = dial.state === "failed" && dial.status ? ` (${dial.status}${dial.reason ? ` ${dial.reason}` : ""})` : "";
  item.textContent = `${dial.uri}: ${kStateText[dial.state] || dial.state}${why}`;
}

// From the session's dispatcher: a "dial" event about a call this page asked for.
export function onDialProgress(dial) {
  const known = state.dials.get(dial.token) || { uri: dial.uri, seen: [] };
  state.dials.set(dial.token, { ...known, ...dial, seen: [...known.seen, dial.state] });
  renderDial(dial.token);
}

// The one way to copy the room's link (docs/webapp.md says why): the link is always shown in
// the dialog's field, so it can also be read out or copied by hand.
async function copyLink() {
  const input = $("invite-link");
  try {
    await navigator.clipboard.writeText(input.value);
    $("invite-copied").textContent = "Link copied.";
  } catch {
    input.focus();
    input.select();  // no clipboard permission: the selected link can be copied by hand
    $("invite-copied").textContent = "Copy the link from the field.";
  }
}

function open() {
  $("invite-link").value = roomLink(String(state.room ?? $("room").value));
  $("invite-copied").textContent = "";
  $("dial-form").hidden = !state.moderator;
  $("dial-note").hidden = state.moderator;
  $("invite-dialog").showModal();
  $("invite-copy").focus();
}

export function initInvite() {
  $("invite-open").addEventListener("click", open);
  $("invite-close").addEventListener("click", () => { $("invite-dialog").close(); $("invite-open").focus(); });
  $("invite-copy").addEventListener("click", copyLink);
  $("dial-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const uri = $("dial-uri").value.trim();
    if (!uri) return;
    state.dial(uri).then((dial) => {
      // The reply says "calling"; a "ringing" event that overtook it stays.
      if (dial && !state.dials.has(dial.token)) onDialProgress(dial);
      $("dial-uri").value = "";
    }).catch((e) => fail(`cannot call ${uri}: ${e.message}`));
  });
}
