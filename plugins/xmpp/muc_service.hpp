// The rooms' component domain (conference.<domain>): its link to the server and the stanzas
// that arrive on it. Presence to room@service/nick joins or leaves a MucRoom (made on the
// first join, dropped with its last XMPP occupant); messages go to their room; iq get/set are
// answered here: disco#info and #items for the service and rooms, XEP-0199 ping, and a stanza
// error for everything else (RFC 6120 §8.4: unknown payloads get service-unavailable).
// Stack thread only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "component_link.hpp"
#include "jingle_service.hpp"
#include "muc_room.hpp"
#include "server_multicast.hpp"
#include "xmpp_settings.hpp"

namespace sylk::xmpp {

class MucService : public LinkListener {
public:
    MucService(net::StackThread& thread, const XmppSettings& settings, MucEvents events = MucEvents{});
    ~MucService() override;

    void start();
    Json status() const;

    // LinkListener
    void onLinkUp() override;
    void onLinkDown() override;
    void onStanza(const gloox::Tag& stanza) override;

private:
    void onPresence(const gloox::Tag& stanza, const StanzaHeader& header);
    void onMessage(const gloox::Tag& stanza, const StanzaHeader& header);
    void onIq(const gloox::Tag& stanza, const StanzaHeader& header);
    void ping(const gloox::Tag& stanza, const StanzaHeader& header);
    // muc#admin set: a kick, which the room checks and serves.
    void admin(const gloox::Tag& stanza, const StanzaHeader& header);
    void discoInfo(const gloox::Tag& stanza, const StanzaHeader& header);
    void discoItems(const gloox::Tag& stanza, const StanzaHeader& header);
    // The room a JID's local part names, if one of our rooms is open there.
    std::shared_ptr<MucRoom> findRoom(const std::string& name) const;
    void dropIfEmpty(const std::string& name);
    // What the room's own rules say of a newcomer with this password, asked through the hub
    // services videoroom.admit (the video room's PIN, its lock) and audiomixer.admit (the
    // mixer room's PIN): why it is refused ("pin", "locked", "unknown"; empty: admitted), and
    // whether any of them has a PIN (disco#info's muc_passwordprotected).
    struct Admission {
        std::string refusal;
        bool passwordProtected = false;
    };
    Admission admission(const std::string& room, const std::string& password) const;
    void reply(TagPtr stanza) { link_->send(std::move(stanza)); }

    net::StackThread& thread_;
    const XmppSettings& settings_;
    const MucEvents events_;  // the rooms hold a reference: declared before them
    std::shared_ptr<ComponentLink> link_;
    ServerMulticast multicast_;  // the rooms hold a reference: declared before them
    std::unique_ptr<JingleService> jingle_;  // audio calls to rooms (urn:xmpp:jingle:1 iqs)
    std::map<std::string, std::shared_ptr<MucRoom>> rooms_;  // by hub room name
    uint64_t nextMember_ = 1;
    uint64_t refused_ = 0;  // stanzas answered with an error
};

}  // namespace sylk::xmpp
