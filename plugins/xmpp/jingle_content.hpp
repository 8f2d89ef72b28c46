// One Jingle content (XEP-0166) of an RTP session (XEP-0167) over ICE-UDP (XEP-0176) with a
// DTLS fingerprint (XEP-0320), as plain data: what JingleSdp reads from a stanza or an SDP and
// writes into the other. Every string here has been checked to be a safe token for both SDP
// (no spaces, CR, LF where the grammar has none) and XML.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sylk::xmpp {

struct JingleCandidate {
    std::string foundation;
    unsigned component = 1;
    std::string protocol = "udp";
    uint32_t priority = 0;
    std::string ip;
    unsigned port = 0;
    std::string type = "host";  // host, srflx, prflx, relay
    std::string relAddr;        // with relPort, for srflx/relay
    unsigned relPort = 0;
    unsigned generation = 0;
    std::string id;             // Jingle's candidate id (made up when the SDP has none)
};

struct JinglePayload {
    unsigned id = 0;        // payload type, 0..127
    std::string name;       // opus, PCMU, telephone-event...
    unsigned clockrate = 0;
    unsigned channels = 1;
    std::vector<std::pair<std::string, std::string>> parameters;  // fmtp
    std::vector<std::pair<std::string, std::string>> feedback;    // rtcp-fb type, subtype
};

struct JingleSource {
    uint32_t ssrc = 0;
    std::vector<std::pair<std::string, std::string>> parameters;  // cname, msid
};

struct JingleContent {
    std::string name;                 // also the SDP mid
    std::string creator = "initiator";
    std::string senders = "both";     // both, initiator, responder, none
    std::string media = "audio";
    std::vector<JinglePayload> payloads;
    std::vector<std::pair<unsigned, std::string>> headerExtensions;  // id, uri
    std::vector<JingleSource> sources;
    bool rtcpMux = false;
    // transport
    std::string ufrag, pwd;
    std::vector<JingleCandidate> candidates;
    std::string fingerprintHash;      // sha-256
    std::string fingerprint;          // AB:CD:...
    std::string setup;                // actpass, active, passive
};

}  // namespace sylk::xmpp
