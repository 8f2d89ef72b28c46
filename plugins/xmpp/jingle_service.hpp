// Jingle on the rooms' component domain: an iq with <jingle xmlns='urn:xmpp:jingle:1'/> to
// room@conference.<domain> is a call into that room's audio mix (JingleCall). This class reads
// each request, checks it (a malformed one gets bad-request, a call to a room nobody is in
// item-not-found, a video or non-RTP content feature-not-implemented with
// <unsupported-applications/>, an unknown session item-not-found with <unknown-session/>),
// acknowledges it and hands it to its call. Stack thread only; owned by MucService.
// The same service on the SIP users' domain (JingleTarget::SipUsers, owned by SipDomainService):
// a session-initiate to user\40host@sip.<domain> is a SIP call to that user (JingleSipCall).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "component_link.hpp"
#include "jingle_call.hpp"
#include "jingle_sip_call.hpp"
#include "stanza_reader.hpp"
#include "xmpp_settings.hpp"

namespace sylk::xmpp {

struct JingleRead;

// Whom the component's Jingle calls reach: rooms' audio mixes, or SIP users.
enum class JingleTarget { Rooms, SipUsers };

class JingleService {
public:
    JingleService(net::StackThread& thread, const XmppSettings& settings, ComponentLink& link,
                  JingleTarget target = JingleTarget::Rooms);
    ~JingleService();

    // An iq get/set whose payload is urn:xmpp:jingle:1.
    void onIq(const gloox::Tag& stanza, const StanzaHeader& header);
    // The server went: its users' sessions did too.
    void onLinkDown();
    // The password a caller was admitted to a MUC room with (its PIN), if it is an occupant;
    // a room call passes it to the mixer, which asks it of a protected room like any join.
    using OccupantPin = std::function<std::optional<std::string>(const std::string& room, const Jid& user)>;
    void setOccupantPin(OccupantPin lookup) { occupantPin_ = std::move(lookup); }
    Json status() const;

private:
    void initiate(const gloox::Tag& stanza, const StanzaHeader& header, const JingleRead& read);
    // The call the session-initiate asks for, or nullptr (the request refused).
    std::unique_ptr<JingleSession> roomCall(const gloox::Tag& stanza, const StanzaHeader& header,
                                            const JingleRead& read, const std::string& key);
    std::unique_ptr<JingleSession> sipCall(const gloox::Tag& stanza, const StanzaHeader& header,
                                           const JingleRead& read, const std::string& key);
    void refuse(const gloox::Tag& stanza, const std::string& type, const std::string& condition,
                const std::string& text, const std::string& jingleCondition = "");
    void drop(const std::string& key);

    net::StackThread& thread_;
    const XmppSettings& settings_;
    ComponentLink& link_;
    const JingleTarget target_;
    OccupantPin occupantPin_;
    std::map<std::string, std::unique_ptr<JingleSession>> calls_;  // by "<peer full JID> <sid>"
    // Calls that ended lately (key -> when, monotonic µs): the peer's session-terminate or
    // transport-info that crossed our own session-terminate is acknowledged, not refused.
    std::map<std::string, int64_t> ended_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    uint64_t refused_ = 0;
    uint64_t started_ = 0;
};

}  // namespace sylk::xmpp
