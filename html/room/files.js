// Files shared in the room: the list, uploads and downloads with progress.
import { $, fail, state } from "./state.js";

function humanSize(bytes) {
  return bytes > 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

export function addFile(file) {
  if (state.files.some((f) => f.id === file.id)) return;
  state.files.push(file);
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Download";
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  button.addEventListener("click", async () => {
    const blob = await state.downloadFile(file.id, (fraction) => { bar.value = fraction; });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = file.name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });
  item.append(`${file.name} (${humanSize(file.size)}, from ${file.display}) `, button, bar);
  $("files").appendChild(item);
}

// Uploads a Blob to the room; progress(fraction) follows the upload.
state.uploadFile = (blob, name, progress = () => {}) => new Promise((resolve, reject) => {
  const request = new XMLHttpRequest();
  request.open("POST", `/files/${state.fileToken}?name=${encodeURIComponent(name)}`);
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
  request.send(blob);
});

// Downloads a shared file as a Blob, reporting progress(fraction) as bytes arrive.
state.downloadFile = async (id, progress = () => {}) => {
  const response = await fetch(`/files/${state.fileToken}/${id}`);
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
    bar.hidden = false;
    try {
      await state.uploadFile(file, file.name, (fraction) => { bar.value = fraction; });
    } catch (e) {
      fail(`cannot share ${file.name}: ${e.message}`);
    }
    bar.hidden = true;
    event.target.value = "";
  });
}
