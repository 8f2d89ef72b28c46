// SDP for SIP audio legs: reading a phone's offer and writing our answer. Pure functions,
// fuzzed and unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sylk::sip {

struct AudioOffer {
    std::string address;   // where the phone wants our RTP
    uint16_t port = 0;
    std::string codec;     // "opus", "g722", "pcmu" or "pcma"
    int payloadType = -1;
    int telephoneEventPt = -1;  // RFC 4733 DTMF, if offered
};

// The first audio stream of offer with a codec we mix, preferring the phone's order.
// nullopt and a reason (for the 488) when there is none.
std::optional<AudioOffer> chooseAudio(const std::string& offer, std::string* reason);

// Our answer: RTP to localIp:localPort with the chosen codec (and DTMF if offered).
std::string buildAnswer(const std::string& localIp, uint16_t localPort, const AudioOffer& chosen, uint64_t sessionId,
                        uint64_t version);

}  // namespace sylk::sip
