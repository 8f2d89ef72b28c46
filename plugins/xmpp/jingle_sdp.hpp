// Jingle RTP sessions <-> SDP, both ways, pure (no janus, no network): the initiator's
// <jingle><content> (XEP-0166/0167/0176/0320, with XEP-0293 rtcp-fb, XEP-0294 header
// extensions and XEP-0339 sources) becomes the SDP offer janus core and the audio mixer take;
// janus's SDP answer becomes the <content> of session-accept; trickled candidates go both ways
// as SDP candidate lines and ICE-UDP <candidate/>s. Everything read is checked before it is
// written into the other language (an attribute that would inject an SDP line or break the
// grammar is refused with a reason); nothing throws.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jingle_content.hpp"

namespace gloox {
class Tag;
}

namespace sylk::xmpp {

struct JingleRead {
    std::string action;     // session-initiate, session-terminate, transport-info, ...
    std::string sid;
    std::string initiator;  // may be empty (the iq's from then)
    std::vector<JingleContent> contents;
    std::string reason;     // session-terminate's reason condition (success, decline, ...)
    std::string error;      // non-empty: the stanza is malformed, this says why
};

class JingleSdp {
public:
    // Reads a <jingle xmlns='urn:xmpp:jingle:1'> element. Contents without an RTP description
    // (transport-info) have only their name and transport.
    static JingleRead read(const gloox::Tag& jingle);
    static JingleContent readContent(const gloox::Tag& content, std::string& error);

    // Why content cannot be offered to the mixer (not audio, no payload, no ICE credentials, no
    // DTLS fingerprint); empty if it can.
    static std::string offerProblem(const JingleContent& content);
    // The SDP offer for one audio content (the initiator's). sessionId: o= line's id.
    static std::string offer(const JingleContent& content, uint64_t sessionId);
    // Reads the SDP answer for the content named mid (janus's; one audio m-line). nullopt and
    // error set when it cannot be expressed in Jingle.
    static std::optional<JingleContent> answer(const std::string& sdp, const std::string& mid, std::string& error);

    // "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host generation 0" (with or without
    // the "candidate:" and "a=" prefixes).
    static std::string candidateLine(const JingleCandidate& candidate);
    static std::optional<JingleCandidate> parseCandidate(const std::string& line);

    // <content creator name senders> with <description> (unless transportOnly) and <transport>.
    static std::unique_ptr<gloox::Tag> contentTag(const JingleContent& content, bool transportOnly);
};

}  // namespace sylk::xmpp
