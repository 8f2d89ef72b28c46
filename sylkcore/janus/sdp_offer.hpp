// Offers a plugin makes to a WebRTC client (e.g. an incoming SIP call shown to a browser),
// written with Janus's SDP utilities; Janus adds ICE and DTLS before sending them.
#pragma once

#include "../json.hpp"

namespace sylk::janus {

struct AudioOfferSdp {
    Json jsep;         // {"type": "offer", "sdp": "..."}
    int opusPt = -1;   // payload type the client will send Opus with
    int dtmfPt = -1;   // telephone-event, if offered
};

// One sendrecv audio m-line with Opus (and RFC 4733 telephone-event when dtmf).
AudioOfferSdp makeAudioOffer(bool dtmf);

}  // namespace sylk::janus
