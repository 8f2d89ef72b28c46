// Answers a WebRTC offer with Janus's SDP utilities, accepting the first codec both sides have
// (or the one asked for) and the RTP header extensions Sylk plugins use.
#pragma once

#include <string>
#include <vector>

#include "../json.hpp"

namespace sylk::janus {

struct AnswerOptions {
    const char* audioCodec = nullptr;  // nullptr: the offer's first supported codec
    const char* videoCodec = nullptr;
    // Allowed codecs in order of preference (e.g. a room's "vp8,h264"); the first one the
    // offer has wins, and an m-line offering none of them is rejected. Empty: any.
    std::vector<std::string> audioCodecs;
    std::vector<std::string> videoCodecs;
    bool audio = true;                 // false rejects the m-line (port 0)
    bool video = true;
    bool data = true;
    bool receiveOnly = false;          // a publisher's answer: we take media, send none
    // Keep RFC 4733 telephone-event/8000 when offered (the SIP gateway: the browser's keypad in
    // band). Janus's answers leave it out unless asked.
    bool dtmf = false;
};

// One m-line of the answer that carries media.
struct AnsweredMedia {
    int mindex;
    std::string type;   // "audio", "video" or "data"
    std::string mid;
    std::string codec;  // empty for data
    int pt = -1;
};

struct SdpAnswer {
    Json jsep;               // {"type": "answer", "sdp": "..."}
    std::string audioCodec;  // empty when no audio was accepted
    std::string videoCodec;
    bool data = false;
    std::vector<AnsweredMedia> media;  // the accepted m-lines, in order
};

// Throws RequestError(InvalidJsep) for a jsep that is not {"type": "offer", "sdp": string} and
// RequestError(InvalidSdp) for an SDP Janus cannot parse, with the parser's reason.
SdpAnswer answerOffer(const Json& jsep, const AnswerOptions& options);

}  // namespace sylk::janus
