// A real Jingle audio caller for the integration tests: StanzaJS (XEP-0166/0167/0176/0320)
// with libwebrtc for node (@roamhq/wrtc), logged in over Prosody's WebSocket. It calls ROOM_JID,
// sends a sine tone of TONE_HZ, records what it receives into OUT_FILE (16-bit mono, raw) and
// prints one JSON line per event on stdout: connected, ringing, accepted, track, connection states,
// terminated, and at the end {"event":"done", received_frames, sample_rate}.
// ROOM_JID may as well be a SIP user's JID (user\40host@sip.<domain>): a call through the SIP gateway.
// ROOM_JID "answer": it makes no call but waits for one (a SIP call to this XMPP user): it
// answers an XEP-0353 <propose/> with <proceed/>, accepts the session-initiate with its tone and
// hangs up after SECONDS unless the caller hangs up first.
// Usage: node jingle_peer.js WS_URL JID PASSWORD ROOM_JID TONE_HZ SECONDS OUT_FILE
'use strict';
const fs = require('fs');
const XMPP = require('stanza');
const wrtc = require('@roamhq/wrtc');

const [url, jid, password, roomJid, toneText, secondsText, outFile] = process.argv.slice(2);
const tone = Number(toneText);
const seconds = Number(secondsText);
const say = (event, fields = {}) => process.stdout.write(JSON.stringify({event, ...fields}) + '\n');

const client = XMPP.createClient({
    jid,
    password,
    transports: {websocket: url, bosh: false},
    jingle: {
        hasRTCPeerConnection: true,
        iceServers: [],  // loopback only: no STUN
        createPeerConnection: (session, options) => new wrtc.RTCPeerConnection(options),
    },
});

// The tone: 10 ms frames of 48 kHz mono, as RTCAudioSource wants them.
const source = new wrtc.nonstandard.RTCAudioSource();
const track = source.createTrack();
let phase = 0;
const toneTimer = setInterval(() => {
    const samples = new Int16Array(480);
    for (let i = 0; i < samples.length; i++) {
        samples[i] = Math.round(8000 * Math.sin(phase));
        phase += (2 * Math.PI * tone) / 48000;
    }
    source.onData({samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480});
}, 10);

const received = [];
let receivedFrames = 0;
let sampleRate = 0;
let sink = null;
let session = null;
let finished = false;

function finish(code) {
    if (finished)
        return;
    finished = true;
    clearInterval(toneTimer);
    if (sink)
        sink.stop();
    fs.writeFileSync(outFile, Buffer.concat(received));
    say('done', {received_frames: receivedFrames, sample_rate: sampleRate});
    track.stop();
    setTimeout(() => { client.disconnect(); process.exit(code); }, 500);
}

client.jingle.on('peerTrackAdded', (s, remoteTrack) => {
    say('track', {kind: remoteTrack.kind});
    sink = new wrtc.nonstandard.RTCAudioSink(remoteTrack);
    sink.ondata = (data) => {
        receivedFrames++;
        sampleRate = data.sampleRate;
        let mono = data.samples;
        if (data.channelCount > 1) {
            mono = new Int16Array(data.numberOfFrames);
            for (let i = 0; i < data.numberOfFrames; i++)
                mono[i] = data.samples[i * data.channelCount];
        }
        received.push(Buffer.from(mono.buffer, mono.byteOffset, mono.byteLength));
    };
});
client.on('jingle:accepted', () => say('accepted'));
client.on('jingle:ringing', () => say('ringing'));
client.on('jingle:connectionState', (s, state) => say('connection', {state}));
client.on('jingle:terminated', (s, reason) => {
    say('terminated', {reason: reason && reason.condition, text: reason && reason.text});
    finish(0);
});
const answering = roomJid === 'answer';
if (answering) {
    // XEP-0353 (StanzaJS has no support): the propose comes to the bare JID; proceed from here.
    client.on('raw:incoming', (xml) => {
        const propose = /<propose\b/.test(xml) && /^<message[^>]*\sfrom=['"]([^'"]+)['"]/.exec(xml);
        const sid = /<propose[^>]*\sid=['"]([^'"]+)['"]/.exec(xml);
        if (propose && sid) {
            say('proposed', {from: propose[1], sid: sid[1]});
            client.transport.write(`<message xmlns='jabber:client' to='${propose[1]}' id='proceed-${sid[1]}'>` +
                `<proceed xmlns='urn:xmpp:jingle-message:0' id='${sid[1]}'/></message>`);
        }
    });
    client.on('jingle:incoming', async (incoming) => {
        session = incoming;
        say('incoming', {from: incoming.peerID, sid: incoming.sid});
        const stream = new wrtc.MediaStream([track]);
        session.addTrack(track, stream);
        await session.accept();
        say('accepted');
        setTimeout(() => {
            if (!finished) {
                say('hangup');
                session.end('success');
                setTimeout(() => finish(0), 1000);
            }
        }, seconds * 1000);
    });
}
client.on('session:started', async () => {
    say('connected');
    if (answering) {
        client.sendPresence();
        return;
    }
    const stream = new wrtc.MediaStream([track]);
    session = client.jingle.createMediaSession(roomJid, undefined, stream);
    await session.start({offerToReceiveAudio: true});
    say('initiated', {sid: session.sid});
    setTimeout(() => {
        if (!finished) {
            say('hangup');
            session.end('success');
            setTimeout(() => finish(0), 1000);
        }
    }, seconds * 1000);
});
client.on('auth:failed', () => { say('error', {text: 'auth failed'}); finish(2); });
client.on('stream:error', (error) => { say('error', {text: String(error && error.condition)}); finish(2); });
if (process.env.JINGLE_DEBUG) {
    // JINGLE_DEBUG=FILE: every stanza in and out, appended to FILE
    client.on('raw:incoming', (xml) => fs.appendFileSync(process.env.JINGLE_DEBUG, 'IN  ' + xml + '\n'));
    client.on('raw:outgoing', (xml) => fs.appendFileSync(process.env.JINGLE_DEBUG, 'OUT ' + xml + '\n'));
}
client.connect();
setTimeout(() => { say('error', {text: 'overall timeout'}); finish(3); }, (seconds + 30) * 1000);
