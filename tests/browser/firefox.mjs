// Launches Debian's Firefox ESR through puppeteer-core (WebDriver BiDi) with fake media.
import puppeteer from "puppeteer-core";

// Every pref here was needed for WebRTC inside the test namespace: fake devices, and the two
// permission prefs, without which Firefox gathers ICE candidates on the default route only.
const PREFS = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  "permissions.default.camera": 1,
  "permissions.default.microphone": 1,
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
};

export async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    extraPrefsFirefox: PREFS,
  });
  return { browser, close: () => browser.close() };
}
