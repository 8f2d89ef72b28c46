// SDP for SIP calls: reading a phone's offer (its audio stream, and its MSRP stream, RFC 4975
// m=message) and writing our answer. Pure functions, fuzzed and unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sylk::sip {

struct AudioOffer {
    int index = -1;        // its place among the SDP's m= lines (from 0)
    std::string address;   // where the phone wants our RTP
    uint16_t port = 0;
    std::string codec;     // "opus", "g722", "pcmu", "pcma", "ilbc" (30 ms mode) or "ilbc20"
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
    // ZRTP (RFC 6189 §8.1): the peer's a=zrtp-hash ("<version> <hex>"), "" when it has none.
    std::string zrtpHash;
    bool srtp() const { return cryptoTag >= 0; }
    bool held() const { return direction == "sendonly" || direction == "inactive" || address == "0.0.0.0"; }
};

// The RFC 4733 telephone-event payload type at `rate` of an SDP's first audio stream, -1 when it has
// none: what a WebRTC leg agreed on (our answers and offers to a browser have telephone-event/8000 only).
int telephoneEventPt(const std::string& sdp, unsigned long rate = 8000);

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
// Without it, an offer's a=zrtp-hash is answered with ours (zrtpHash, when given).
std::string buildAnswer(const std::string& localIp, uint16_t localPort, const AudioOffer& chosen, uint64_t sessionId,
                        uint64_t version, const std::string& direction = "sendrecv", const std::string& localKey = "",
                        const std::string& zrtpHash = "");

// Our offer for a call to a SIP peer: plain RTP with Opus, G.722, PCMU, PCMA and RFC 4733
// telephone-event, in that order (the peer picks; we transcode when it is not Opus).
constexpr int kOfferOpusPt = 111;
constexpr int kOfferDtmfPt = 101;
// srtp: "" (plain RTP), "optional" (RTP/AVP with a=crypto: best effort) or "mandatory"
// (RTP/SAVP), both with localKey for AES_CM_128_HMAC_SHA1_80. zrtpHash: our a=zrtp-hash, offered
// when not empty and srtp is "".
std::string buildOffer(const std::string& localIp, uint16_t localPort, uint64_t sessionId, uint64_t version,
                       const std::string& direction = "sendrecv", const std::string& srtp = "",
                       const std::string& localKey = "", const std::string& zrtpHash = "");

// ---------------------------------------------------------------- MSRP (RFC 4975, 6135, 5547)

// An m=message stream of a peer's SDP (TCP/MSRP, or TCP/TLS/MSRP for msrps).
struct MsrpOffer {
    int index = -1;                  // its place among the SDP's m= lines (from 0)
    uint16_t port = 0;
    bool secure = false;             // TCP/TLS/MSRP
    std::string address;             // c= (informative: MSRP goes by the path)
    std::vector<std::string> path;   // a=path: the URI to send to first, the peer's own last
    std::vector<std::string> acceptTypes;         // a=accept-types (required by RFC 4975)
    std::vector<std::string> acceptWrappedTypes;  // a=accept-wrapped-types
    std::string setup;               // a=setup (RFC 6135): "" (none), active, passive or actpass
    std::string fingerprint;         // a=fingerprint (RFC 4572): "<hash> <hex:hex:...>", or ""
    uint64_t maxSize = 0;            // a=max-size; 0: not given
    std::string direction = "sendrecv";
    // RFC 5547 file transfer, as written (the msrp side parses the selector).
    std::optional<std::string> fileSelector;
    std::optional<std::string> fileTransferId;
    std::optional<std::string> fileDisposition;
    std::optional<std::string> fileDate;
    std::optional<std::string> fileIcon;
    bool fileTransfer() const { return fileSelector.has_value(); }
};

// The first m=message stream of sdp that we can take: TCP/MSRP or TCP/TLS/MSRP, a port other
// than 0, an a=path of msrp(s) URIs (msrps for TLS) and a=accept-types, an a=setup we can
// answer (not holdconn). nullopt and a reason when there is none. Works on answers too.
std::optional<MsrpOffer> chooseMessage(const std::string& sdp, std::string* reason);

// Our connection role for an offered stream (we answer): RFC 6135 - the offer's active makes us
// passive, passive or actpass makes us active (SylkServer's choice for actpass); no a=setup is
// plain RFC 4975, where the offerer opens the connection, so we are passive.
std::string msrpAnswerRole(const std::string& offeredSetup);

// Our side of an answered m=message, as the msrp plugin's msrp.open_session gave it.
struct MsrpAnswer {
    std::string host;
    uint16_t port = 0;
    bool secure = false;                          // TCP/TLS/MSRP
    std::vector<std::string> path;
    std::string setup;                            // active or passive
    std::vector<std::string> acceptTypes;
    std::vector<std::string> acceptWrappedTypes;
    std::string fingerprint;                      // msrps: ours, "<hash> <hex>"
    std::string direction = "sendrecv";
    std::optional<std::string> fileSelector;      // RFC 5547: the offer's, repeated
    std::optional<std::string> fileTransferId;
};

// An m= line of an offer as an answer must repeat it when it rejects the stream (RFC 3264 §6:
// the answer has as many m= lines as the offer, in its order; a refused one with port 0).
struct SdpMediaLine {
    std::string type;
    std::string proto;
    std::string formats;  // as offered, e.g. "0 8 101" or "*"
};

// The m= lines of sdp, in order (empty if it is not an SDP we read).
std::vector<SdpMediaLine> mediaLines(const std::string& sdp);

// Our answer to an offer of several streams: one m= line per offered line, in the offer's
// order. The audio stream (audio->index) gets our RTP at audioPort as in buildAnswer, the MSRP
// stream (msrpIndex) our m=message when msrp is given, every other line port 0. localIp is the
// session's c= (the audio's, else the MSRP host).
struct AnswerStreams {
    std::vector<SdpMediaLine> offered;
    const AudioOffer* audio = nullptr;
    uint16_t audioPort = 0;
    std::string audioDirection = "sendrecv";
    std::string localKey;
    std::string zrtpHash;  // ours, answering an offered a=zrtp-hash
    int msrpIndex = -1;
    const MsrpAnswer* msrp = nullptr;
};
std::string buildStreamsAnswer(const std::string& localIp, uint64_t sessionId, uint64_t version,
                               const AnswerStreams& streams);

// Our SDP (as last sent in the dialog) with the m=message stream's a=path replaced by path and
// the o= line's version set to version: the offer of the re-INVITE that tells the peer where
// our MSRP session is now (the relay moved it to a new Use-Path, RFC 4976). Everything else is
// kept as it was, so the re-INVITE changes nothing but the path. nullopt when the SDP has no
// accepted m=message with an a=path, no o= line, or path is empty.
std::optional<std::string> withMessagePath(const std::string& sdp, const std::vector<std::string>& path,
                                           uint64_t version);

}  // namespace sylk::sip
