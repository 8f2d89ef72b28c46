// Files shared in the room: the list, uploads and downloads with progress.
import { $, fail, state } from "./state.js";

function humanSize(bytes) {
  return bytes > 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

// Images up to this size get a thumbnail, fetched once the card shows: cheap enough on any link.
const kThumbnailBytes = 512 * 1024;

function saveBlob(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// A file card: name, size, who shared it, a download button with its progress, and for a small
// image a thumbnail. Every text from others goes in as textContent.
export function addFile(file) {
  if (state.files.some((f) => f.id === file.id)) return;
  state.files.push(file);
  const item = document.createElement("li");
  item.className = "file-card";
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = file.name;
  const details = document.createElement("span");
  details.className = "file-details";
  details.textContent = `${humanSize(file.size)}, from ${file.display}`;
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Download";
  button.setAttribute("aria-label", `Download ${file.name}`);
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", `${file.name} download progress`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      saveBlob(await state.downloadFile(file.id, (fraction) => { bar.value = fraction; }), file.name);
      bar.value = 1;
    } catch (e) {
      fail(`cannot download ${file.name}: ${e.message}`);
    }
    button.disabled = false;
  });
  item.append(name, " ", details, " ", button, bar);
  if (/\.(png|jpe?g|gif|webp)$/i.test(file.name) && file.size <= kThumbnailBytes) {
    state.downloadFile(file.id).then((blob) => {
      const image = document.createElement("img");
      image.className = "thumbnail";
      image.alt = `Preview of ${file.name}`;
      image.src = URL.createObjectURL(new Blob([blob], { type: `image/${file.name.split(".").pop().toLowerCase().replace("jpg", "jpeg")}` }));
      item.prepend(image);
    }).catch(() => {});  // no preview: the card still offers the download
  }
  $("files").appendChild(item);
}

// The room's files live on the node that gave the file token: the one whose Janus API the page
// talks to. A page that moved to the room's node (session.js) shares files through that node's
// HTTP server (its http_url, another origin: /files/ allows it); otherwise through its own.
function filesUrl(rest) {
  return state.redirected && state.filesBase ? new URL(`files/${rest}`, state.filesBase).href : `/files/${rest}`;
}

// Uploads a Blob to the room; progress(fraction) follows the upload.
state.uploadFile = (blob, name, progress = () => {}) => new Promise((resolve, reject) => {
  const request = new XMLHttpRequest();
  state.uploadRequest = request;  // the Cancel button aborts it
  request.open("POST", filesUrl(`${state.fileToken}?name=${encodeURIComponent(name)}`));
  request.upload.onprogress = (event) => {
    if (!event.lengthComputable) return;
    state.uploadProgress.push(event.loaded / event.total);
    progress(event.loaded / event.total);
  };
  request.onload = () => {
    const reply = JSON.parse(request.responseText || "{}");
    request.status === 201 ? resolve(reply) : reject(new Error(reply.error || `upload failed (${request.status})`));
  };
  request.onerror = () => reject(new Error("upload failed: network error"));
  request.onabort = () => reject(new Error("upload cancelled"));
  request.onloadend = () => { if (state.uploadRequest === request) state.uploadRequest = null; };
  request.send(blob);
});

// Downloads a shared file as a Blob, reporting progress(fraction) as bytes arrive.
state.downloadFile = async (id, progress = () => {}) => {
  const response = await fetch(filesUrl(`${state.fileToken}/${id}`));
  if (!response.ok) throw new Error((await response.json()).error || `download failed (${response.status})`);
  const total = Number(response.headers.get("Content-Length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (total) {
      state.downloadProgress.push(received / total);
      progress(received / total);
    }
  }
  return new Blob(chunks);
};


export function initFiles() {
  $("file-input").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const bar = $("upload-progress");
    bar.value = 0;
    bar.hidden = false;
    $("upload-cancel").hidden = false;
    $("upload-status").textContent = `Sharing ${file.name}…`;
    try {
      await state.uploadFile(file, file.name, (fraction) => { bar.value = fraction; });
      $("upload-status").textContent = `Shared ${file.name}.`;
    } catch (e) {
      $("upload-status").textContent = `${file.name}: ${e.message}.`;
      if (e.message !== "upload cancelled") fail(`cannot share ${file.name}: ${e.message}`);
    }
    bar.hidden = true;
    $("upload-cancel").hidden = true;
    event.target.value = "";
  });
  $("upload-cancel").addEventListener("click", () => state.uploadRequest?.abort());
}
