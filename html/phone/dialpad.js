// The DTMF pad of a call (issue 16): twelve buttons, and the same keys on the keyboard while a
// call is up and no text field has the focus. Digits go in the audio as RFC 4733 telephone-events
// (the browser's RTCDTMFSender) when the call negotiated them, which every phone understands;
// else (or while the media is still connecting) as SIP INFO (dtmf_info). The digits sent are
// shown (#dtmf-sent, a live region) and kept in state.dtmfSent for tests; state.dtmfVia says
// how the last one went ("rtp" or "info").
import { $, button, send, state } from "./state.js";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

export function initDialpad() {
  state.dtmfSent = "";
  state.dtmfReceived = "";  // tones the other side sent us (SIP INFO or RFC 4733)
  // The call's audio sender, when it can send telephone-events (negotiated, track live) and the
  // media is connected: a tone played before that is lost, INFO is not.
  const dtmfSender = () => {
    const pc = state.handle?.webrtcStuff?.pc;
    if (pc?.connectionState !== "connected") return null;
    return pc.getSenders().find((sender) => sender.track?.kind === "audio" && sender.dtmf?.canInsertDTMF)?.dtmf;
  };
  const press = (digit) => {
    if (state.call !== "talking") return;
    const dtmf = dtmfSender();
    // Queued after the tones still waiting: insertDTMF replaces the buffer (quick presses).
    if (dtmf) dtmf.insertDTMF(dtmf.toneBuffer + digit);
    else send({ request: "dtmf_info", digit });
    state.dtmfVia = dtmf ? "rtp" : "info";
    state.dtmfSent += digit;
    $("dtmf-sent").textContent = `Sent: ${state.dtmfSent}`;
    const key = $("keypad").querySelector(`[data-digit="${CSS.escape(digit)}"]`);
    key?.classList.add("pressed");
    setTimeout(() => key?.classList.remove("pressed"), 150);
  };
  $("keypad-keys").replaceChildren(...KEYS.map((digit) => {
    const key = button(digit, () => press(digit), "key");
    key.dataset.digit = digit;
    key.setAttribute("aria-label", `Tone ${digit}`);
    return key;
  }));
  document.addEventListener("keydown", (event) => {
    if (!KEYS.includes(event.key) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
    if (state.call !== "talking") return;
    event.preventDefault();
    press(event.key);
  });
  return {
    onEvent: (result) => {
      if (result.event === "dtmf") {
        state.dtmfReceived += result.signal;
        $("dtmf-received").textContent = `Received: ${state.dtmfReceived}`;
      } else if (result.event === "hangup") {
        state.dtmfSent = state.dtmfReceived = "";
        $("dtmf-sent").textContent = $("dtmf-received").textContent = "";
      }
    },
  };
}
