// A WebRTC participant of janus.plugin.sylk.audiomixer that speaks only iLBC: libwebrtc for node
// (@roamhq/wrtc) with its offer trimmed to iLBC, talking to janus's WebSocket API with `ws`.
// It sends a tone (nonstandard RTCAudioSource) and records what the room sends back
// (RTCAudioSink). Lives here for this directory's node_modules.
//
//   node ilbc_mixer_peer.js WS_URL ROOM DISPLAY FREQUENCY SECONDS [MODE]
//
// MODE 20 adds "a=fmtp:<pt> mode=20" (RFC 3952's 20 ms frames) to the offer; none asks for 30 ms.
//
// Writes JSON lines to stdout: {"event":"answer","sdp"} once janus answered, then after SECONDS
// of connected audio {"event":"heard","rate","samples"(base64 s16le, the last second),"stats"
// (codecs; inbound and outbound streams with packets and payload bytes)}.
// It keeps sending until stdin closes, so the room still hears it while the test looks.
'use strict';
const wrtc = require('@roamhq/wrtc');
const WebSocket = require('ws');

const [url, room, display, frequency, seconds, mode] = process.argv.slice(2);
const print = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const fail = (why) => { print({ event: 'error', reason: String(why) }); process.exit(1); };

// Keeps only iLBC (and nothing else) on the audio m-line of an SDP.
function onlyIlbc(sdp, mode) {
  const lines = sdp.split('\r\n');
  const ilbc = lines.map((l) => /^a=rtpmap:(\d+) ILBC\/8000/i.exec(l)).find(Boolean);
  if (!ilbc) throw new Error('libwebrtc offered no iLBC');
  const pt = ilbc[1];
  return lines.filter((l) => {
    const attribute = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)/.exec(l);
    return !attribute || attribute[2] === pt;
  }).flatMap((l) => {
    if (l.startsWith('m=audio')) return [l.split(' ').slice(0, 3).concat(pt).join(' ')];
    if (mode && l.startsWith('a=rtpmap:' + pt + ' ')) return [l, 'a=fmtp:' + pt + ' mode=' + mode];
    return [l];
  }).join('\r\n');
}

class Janus {
  constructor(ws) {
    this.ws = ws;
    this.waiting = new Map();
    ws.on('message', (text) => {
      const message = JSON.parse(text);
      const resolve = this.waiting.get(message.transaction);
      if (resolve && message.janus !== 'ack') { this.waiting.delete(message.transaction); resolve(message); }
    });
  }
  call(body) {
    const transaction = Math.random().toString(36).slice(2);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply to ' + body.janus)), 15000);
      this.waiting.set(transaction, (m) => { clearTimeout(timer); resolve(m); });
      this.ws.send(JSON.stringify({ ...body, transaction }));
    });
  }
}

async function main() {
  const ws = new WebSocket(url, 'janus-protocol');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const janus = new Janus(ws);
  const session = (await janus.call({ janus: 'create' })).data.id;
  const keepalive = setInterval(() => janus.call({ janus: 'keepalive', session_id: session }).catch(() => {}), 20000);
  const handle = (await janus.call({ janus: 'attach', session_id: session, plugin: 'janus.plugin.sylk.audiomixer' })).data.id;

  const pc = new wrtc.RTCPeerConnection();
  const source = new wrtc.nonstandard.RTCAudioSource();
  pc.addTrack(source.createTrack());
  const heard = [];
  let rate = 0;
  pc.ontrack = ({ track }) => {
    const sink = new wrtc.nonstandard.RTCAudioSink(track);
    sink.ondata = (data) => {
      rate = data.sampleRate;
      for (let i = 0; i < data.numberOfFrames; i++) heard.push(data.samples[i * data.channelCount]);
      if (heard.length > 4 * rate) heard.splice(0, heard.length - 2 * rate);
    };
  };
  const gathered = new Promise((resolve) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve(); });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered;
  const offer = { type: 'offer', sdp: onlyIlbc(pc.localDescription.sdp, mode) };
  const reply = await janus.call({ janus: 'message', session_id: session, handle_id: handle, jsep: offer,
                                   body: { request: 'join', room, display } });
  if (!reply.jsep) fail('no answer: ' + JSON.stringify(reply.plugindata || reply));
  print({ event: 'answer', sdp: reply.jsep.sdp });
  await pc.setRemoteDescription(reply.jsep);

  // 10 ms frames at 48 kHz, paced by the clock (timers drift)
  const started = Date.now();
  let sent = 0, phase = 0;
  const step = (2 * Math.PI * Number(frequency)) / 48000;
  const sender = setInterval(() => {
    while (sent * 10 <= Date.now() - started) {
      const samples = new Int16Array(480);
      for (let i = 0; i < 480; i++, phase += step) samples[i] = Math.round(Math.sin(phase) * 10000);
      source.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
      sent++;
    }
  }, 5);

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not connected')), 15000);
    pc.onconnectionstatechange = () => { if (pc.connectionState === 'connected') { clearTimeout(timer); resolve(); } };
    if (pc.connectionState === 'connected') { clearTimeout(timer); resolve(); }
  });
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  const stats = [];
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'codec') stats.push({ type: s.type, id: s.id, mimeType: s.mimeType, payloadType: s.payloadType });
    if (s.type === 'inbound-rtp' || s.type === 'outbound-rtp') {
      stats.push({ type: s.type, codecId: s.codecId, packets: s.packetsReceived ?? s.packetsSent,
                   payloadBytes: s.bytesReceived ?? s.bytesSent });
    }
  });
  const last = Int16Array.from(heard.slice(-rate));
  print({ event: 'heard', rate, samples: Buffer.from(last.buffer).toString('base64'), stats });

  process.stdin.resume();
  process.stdin.on('end', () => {
    clearInterval(sender);
    clearInterval(keepalive);
    pc.close();
    ws.close();
    process.exit(0);
  });
}

main().catch(fail);
