// The phone page's shared state (window.sylkPhone, read by the tests and the console), the
// element lookup, the status line and the one way requests go to the gateway handle.
export const $ = (id) => document.getElementById(id);

// status/error: the status line; registered/account: the signed-in account; call: idle,
// calling, ringing-in, talking or held; events: every event's name in order (tests).
export const state = {
  status: "idle", error: null, registered: false, account: "", call: "idle", events: [], messages: [],
  handle: null, peer: "",
};
window.sylkPhone = state;

let dispatch = () => {};
export function setDispatcher(onEvent) {
  dispatch = onEvent;
}

export function show(text, isError = false) {
  state.status = text;
  $("status").textContent = text;
  $("status").className = isError ? "status error" : "status";
}

export function fail(message) {
  state.error = String(message);
  show(`Error: ${message}`, true);
}

// A request to the gateway. Answers that are results (synchronous) are handled like events.
export function send(message, jsep) {
  state.handle.send({
    message,
    jsep,
    success: (data) => data && (data.result || data.error) && dispatch(data, null),
    error: (e) => fail(`${message.request}: ${e}`),
  });
}

// A list item, a button: text from other users always goes in as textContent.
export function element(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function button(text, onclick, className = "") {
  const node = element("button", text, className);
  node.type = "button";
  node.onclick = onclick;
  return node;
}

// "sip:bob@example.com" -> "bob@example.com": how an address is shown.
export const shortAddress = (uri) => String(uri || "").replace(/^sips?:/, "").replace(/^<|>$/g, "");
