// Signing in (issue 16): a SIP account (address, password, optional proxy: registered there) or a
// guest (an address and a display name, no REGISTER: calls out, and calls and messages in to the
// contact the gateway gives it). The address, proxy and display name are remembered in
// localStorage; the password only when the user ticks "Remember me" (docs/webapp.md says why).
// Registration events switch between the sign-in screen and the app.
import { $, fail, send, show, state } from "./state.js";

const KEY = "sylk.phone.account";
const SECRET_KEY = "sylk.phone.secret";

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function remember({ username, secret, proxy, guest, displayName, keep }) {
  localStorage.setItem(KEY, JSON.stringify({ username, proxy, guest, displayName, keep }));
  if (keep && secret) localStorage.setItem(SECRET_KEY, secret);
  else localStorage.removeItem(SECRET_KEY);
}

function showApp(signedIn) {
  $("signin").hidden = signedIn;
  $("app").hidden = !signedIn;
  $("account-bar").hidden = !signedIn;
}

export function initSession() {
  state.register = (username, secret, proxy, guest, displayName) => {
    const message = { request: "register", username };
    if (guest) message.type = "guest";
    if (secret) message.secret = secret;
    if (proxy) Object.assign(message, { proxy, outbound_proxy: proxy });  // the registrar routes our requests too
    if (displayName) message.display_name = displayName;
    state.signingIn = true;
    show(`signing in as ${username}…`);
    send(message);
  };
  state.signOut = () => {
    localStorage.removeItem(SECRET_KEY);
    send({ request: "unregister" });
  };

  const form = $("signin-form");
  const guestToggle = () => {
    $("secret-row").hidden = $("guest").checked;
  };
  $("guest").onchange = guestToggle;
  const saved = remembered();
  if (saved) {
    $("username").value = saved.username || "";
    $("proxy").value = saved.proxy || "";
    $("display-name").value = saved.displayName || "";
    $("guest").checked = !!saved.guest;
    $("remember").checked = !!saved.keep;
    if (saved.keep) $("secret").value = localStorage.getItem(SECRET_KEY) || "";
  }
  guestToggle();
  form.onsubmit = (event) => {
    event.preventDefault();
    const account = { username: $("username").value.trim(), secret: $("secret").value, proxy: $("proxy").value.trim(),
                      guest: $("guest").checked, displayName: $("display-name").value.trim(), keep: $("remember").checked };
    if (!/^sips?:[^@\s]+@\S+$/.test(account.username)) {
      fail("the address is a SIP address like sip:alice@example.com");
      $("username").focus();
      return;
    }
    remember(account);
    state.register(account.username, account.guest ? "" : account.secret, account.proxy, account.guest,
                   account.displayName);
  };
  $("unregister").onclick = state.signOut;

  // Automatic sign-in only for an account the user asked us to remember.
  const autoSignIn = () => {
    if (saved?.keep && saved.username && (saved.guest || localStorage.getItem(SECRET_KEY))) form.requestSubmit();
  };

  return {
    ready: () => {
      $("register").disabled = false;
      show("ready: sign in");
      autoSignIn();
    },
    onEvent: (result) => {
      switch (result.event) {
        case "registered":
          state.registered = true;
          state.signingIn = false;
          state.account = result.username;
          state.contactUser = result.contact_user;
          $("account-name").textContent = result.username;
          showApp(true);
          show(`signed in as ${result.username}${result.register_sent === false ? " (guest)" : ""}`);
          break;
        case "registration_failed":
          state.signingIn = false;
          showApp(false);
          fail(`sign-in failed: ${result.code} ${result.reason}`);
          break;
        case "unregistered":
          state.registered = false;
          showApp(false);
          show("signed out");
          break;
        default: break;
      }
    },
  };
}
