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
    int telephoneEventRate = 8000;  // its clock rate as offered: the answer keeps it (RFC 3264 §6.1)
    // The stream's a= direction: "sendrecv" (the default), "sendonly", "recvonly" or
    // "inactive"; a phone holding the call offers sendonly or inactive (or c= 0.0.0.0).
    std::string direction = "sendrecv";
    // SDES-SRTP (RFC 4568): the first a=crypto with a suite we have, for RTP/SAVP (or a
    // best-effort RTP/AVP offer or answer that carries one).
    int cryptoTag = -1;
    std::string cryptoSuite;
    std::string cryptoKey;      // the peer's master key and salt, base64
    bool srtp() const { return cryptoTag >= 0; }
    bool held() const { return direction == "sendonly" || direction == "inactive" || address == "0.0.0.0"; }
};

// The direction that answers a peer's: sendonly <-> recvonly, the others as they are.
std::string answerDirection(const std::string& offered);

// The first audio stream of offer with a codec we mix, preferring the phone's order. A
// dynamic payload type counts only at the codec's own clock rate (opus/48000, the others
// 8000 as RFC 3551 numbers G.722). Of several telephone-events, the one at the codec's clock
// rate, else the first. nullopt and a reason (for the 488) when there is none.
std::optional<AudioOffer> chooseAudio(const std::string& offer, std::string* reason);

// Our answer: RTP to localIp:localPort with the chosen codec (and DTMF if offered), under the
// offer's payload type numbers and clock rates (RFC 3264 §6.1: an answer never redefines them).
// With chosen.srtp(), the answer is RTP/SAVP with our a=crypto (same tag and suite, localKey).
std::string buildAnswer(const std::string& localIp, uint16_t localPort, const AudioOffer& chosen, uint64_t sessionId,
                        uint64_t version, const std::string& direction = "sendrecv", const std::string& localKey = "");

// Our offer for a call to a SIP peer: plain RTP with Opus, G.722, PCMU, PCMA and RFC 4733
// telephone-event, in that order (the peer picks; we transcode when it is not Opus).
constexpr int kOfferOpusPt = 111;
constexpr int kOfferDtmfPt = 101;
// srtp: "" (plain RTP), "optional" (RTP/AVP with a=crypto: best effort) or "mandatory"
// (RTP/SAVP), both with localKey for AES_CM_128_HMAC_SHA1_80.
std::string buildOffer(const std::string& localIp, uint16_t localPort, uint64_t sessionId, uint64_t version,
                       const std::string& direction = "sendrecv", const std::string& srtp = "",
                       const std::string& localKey = "");

}  // namespace sylk::sip
