// Files in phone.html (issue 11): a SIP client's RFC 5547 file offer rings as "fileoffer"; the
// web user accepts (or declines: 603), sees its progress ("fileprogress") and gets a download
// link once it is stored ("filereceived": /files/<token>/<id>, a token of this page session
// only). The web user sends a file back: uploaded into its file room (POST /files/<token>, the
// token from "filetoken"), then "sendfile" to the address: the gateway offers it to the SIP client
// over MSRP ("filesending", "fileaccepted", "filesent"). state.files: {transfer: {name, size,
// type, from, state, received, url, sha1}}; state.fileProgress: [received, ...] per transfer and
// state.uploadProgress: [fraction, ...] of the last upload, for tests.
// A SIP client may ask the web user for a file (RFC 5547 a=recvonly): "filerequest" shows who asks
// and what it names; the web user picks a file (uploaded, then "acceptfile" with its id) or
// declines. Asked again for a file the web user sent that client, it is served at once
// ("filerequestserved").
import { $ } from "./state.js";

export function setupFiles(state, send) {
  state.files = {};
  state.fileProgress = {};
  state.acceptFile = (transfer) => send({ request: "acceptfile", transfer });
  state.declineFile = (transfer, code = 603) => send({ request: "declinefile", transfer, code });
  state.uploadProgress = [];
  let tokenWaiter = null;
  const fileToken = () => new Promise((resolve, reject) => {
    tokenWaiter = { resolve, reject };
    send({ request: "filetoken" });
  });
  const upload = (token, blob, name) => new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/files/${token}?name=${encodeURIComponent(name)}`);
    request.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      state.uploadProgress.push(event.loaded / event.total);
      $("upload-progress").hidden = false;
      $("upload-progress").value = event.loaded / event.total;
    };
    request.onload = () => (request.status === 201 ? resolve(JSON.parse(request.responseText))
                                                    : reject(new Error(`upload: ${request.status} ${request.responseText}`)));
    request.onerror = () => reject(new Error("upload failed"));
    request.send(blob);
  });
  // Answers a file request with blob (uploaded as name); resolves with the upload's description.
  state.answerRequest = async (transfer, blob, name) => {
    state.uploadProgress = [];
    const token = await fileToken();
    const uploaded = await upload(token, blob, name);
    send({ request: "acceptfile", transfer, id: uploaded.id });
    return uploaded;
  };
  // Uploads blob as name and offers it to uri; resolves with the uploaded file's description.
  state.sendFile = async (blob, name, uri) => {
    state.uploadProgress = [];
    const token = await fileToken();
    const uploaded = await upload(token, blob, name);
    send({ request: "sendfile", uri, id: uploaded.id });
    return uploaded;
  };

  const render = () => {
    const entries = Object.entries(state.files);
    $("files").hidden = entries.length === 0;
    $("file-list").replaceChildren(...entries.map(([transfer, file]) => {
      const item = document.createElement("li");
      item.dataset.transfer = transfer;
      const size = file.size !== undefined ? ` (${file.size} bytes)` : "";
      const label = document.createElement("span");
      label.textContent = file.state === "requested"
        ? `${file.from} asks for a file${file.name ? `: ${file.name}` : ""}${size} — requested`
        : `${file.from}: ${file.name}${size} — ${file.state}`;
      item.append(label);
      if (file.state === "offered") {
        const accept = document.createElement("button");
        accept.textContent = "Accept";
        accept.className = "file-accept";
        accept.onclick = () => state.acceptFile(transfer);
        const decline = document.createElement("button");
        decline.textContent = "Decline";
        decline.className = "file-decline";
        decline.onclick = () => state.declineFile(transfer);
        item.append(" ", accept, " ", decline);
      }
      if (file.state === "requested") {
        const pick = document.createElement("input");
        pick.type = "file";
        pick.className = "file-request-pick";
        const answer = document.createElement("button");
        answer.textContent = "Send this file";
        answer.className = "file-request-send";
        answer.onclick = () => {
          const picked = pick.files[0];
          if (picked) state.answerRequest(transfer, picked, picked.name).catch((e) => { state.error = String(e); });
        };
        const decline = document.createElement("button");
        decline.textContent = "Decline";
        decline.className = "file-decline";
        decline.onclick = () => state.declineFile(transfer);
        item.append(" ", pick, " ", answer, " ", decline);
      }
      if ((file.state === "receiving" || file.state === "sending") && file.size) {
        const bar = document.createElement("progress");
        bar.max = file.size;
        bar.value = file.received || 0;
        item.append(" ", bar);
      }
      if (file.url) {
        const link = document.createElement("a");
        link.href = file.url;
        link.download = file.name;
        link.textContent = "download";
        link.className = "file-link";
        item.append(" ", link);
      }
      return item;
    }));
  };

  $("file-send").onclick = () => {
    const picked = $("file-pick").files[0];
    const uri = state.peer || $("uri").value.trim();  // the open conversation, or the address typed
    if (picked && uri) state.sendFile(picked, picked.name, uri).catch((e) => { state.error = String(e); });
  };

  // Handles the file events; false for any other.
  return (result) => {
    const file = state.files[result.transfer];
    switch (result.event) {
      case "filetoken":
        if (tokenWaiter) tokenWaiter.resolve(result.token);
        tokenWaiter = null;
        return true;
      case "filesending":
        state.files[result.transfer] = { name: result.name, size: result.size, from: "me", to: result.uri,
                                         state: "offering" };
        state.fileProgress[result.transfer] = [];
        break;
      case "filesent": if (file) file.state = "sent"; break;
      case "filefailed": if (file) file.state = `failed: ${result.error}`; break;
      case "fileoffer":
        state.files[result.transfer] = { name: result.name, size: result.size, type: result.type,
                                         from: result.displayname || result.username, state: "offered" };
        state.fileProgress[result.transfer] = [];
        break;
      case "filerequest":
        state.files[result.transfer] = { name: result.name, size: result.size, type: result.type, sha1: result.sha1,
                                         from: result.displayname || result.username, state: "requested",
                                         outgoing: true };
        state.fileProgress[result.transfer] = [];
        break;
      case "filerequestserved":
        state.files[result.transfer] = { name: result.name, size: result.size, from: "me", to: result.username,
                                         state: "sending", outgoing: true, served: true };
        state.fileProgress[result.transfer] = [];
        break;
      case "fileaccepted":
        if (file) {
          file.state = file.from === "me" || file.outgoing ? "sending" : "receiving";
          if (result.name !== undefined) Object.assign(file, { name: result.name, size: result.size });
        }
        break;
      case "filedeclining": if (file) file.state = "declined"; break;
      case "fileprogress":
        if (file) {
          file.received = result.received ?? result.sent;  // a file coming in, or ours going out
          if (result.size !== undefined) file.size = result.size;
          state.fileProgress[result.transfer].push(file.received);
        }
        break;
      case "filereceived":
        if (file) Object.assign(file, { state: "received", url: result.url, sha1: result.sha1, size: result.size,
                                        id: result.id });
        break;
      case "fileended":
        if (file && !["received", "sent", "declined"].includes(file.state)) file.state = `ended (${result.code})`;
        break;
      default: return false;
    }
    render();
    return true;
  };
}
