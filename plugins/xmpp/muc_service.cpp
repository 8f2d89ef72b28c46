#include "muc_service.hpp"

#include <gloox/tag.h>

#include "jingle_namespaces.hpp"
#include "muc_naming.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kDirectRoomPrefix[] = "direct/";  // the hub's private 1:1 rooms: not XMPP rooms

}  // namespace

MucService::MucService(net::StackThread& thread, const XmppSettings& settings, MucEvents events)
    : thread_(thread), settings_(settings), events_(std::move(events)),
      multicast_(settings.multicast, settings.domain, settings.mucDomain) {
    LinkSettings link;
    link.host = settings.serverHost;
    link.port = settings.serverPort;
    link.domain = settings.mucDomain;
    link.secret = settings.secret;
    link.backoffMin = settings.backoffMin;
    link.backoffMax = settings.backoffMax;
    link.standbyRetry = settings.standbyRetry;
    link.maxBacklog = settings.linkBacklogBytes;
    link.stall = settings.linkStall;
    link.maxStanza = settings.linkStanzaBytes;
    link_ = std::make_shared<ComponentLink>(thread, link, *this);
    jingle_ = std::make_unique<JingleService>(thread, settings, *link_);
    jingle_->setOccupantPin([this](const std::string& room, const Jid& user) -> std::optional<std::string> {
        auto found = findRoom(room);
        return found ? found->pinOf(user) : std::nullopt;
    });
}

MucService::~MucService() {
    rooms_.clear();  // each leaves the hub room with its occupants
    jingle_.reset();  // the calls end: janus drops their sessions
    link_.reset();
}

void MucService::start() { link_->start(); }

void MucService::onLinkUp() {
    if (TagPtr query = multicast_.linkUp())
        link_->send(std::move(query));
    events_.notify([&] {
        Json event = Json::object();
        event.set("event", "link_up").set("domain", settings_.mucDomain)
            .set("server", settings_.serverHost + ":" + std::to_string(settings_.serverPort));
        return event;
    });
}

void MucService::onLinkDown() {
    multicast_.linkDown();
    jingle_->onLinkDown();
    events_.notify([&] {
        size_t occupants = 0;
        for (const auto& [name, room] : rooms_)
            occupants += room->occupantCount();
        Json event = Json::object();
        event.set("event", "link_down").set("domain", settings_.mucDomain)
            .set("occupants", static_cast<json_int_t>(occupants));
        return event;
    });
    // The server has gone, and its users' sessions with it as far as it is concerned: our
    // occupants leave the hub rooms and join again with a new presence once it is back.
    for (auto& [name, room] : rooms_) {
        SYLK_LOG(LOG_INFO, MucRoom::kPackage, "room %s: %zu XMPP occupants leave (link down)", name.c_str(),
                 room->occupantCount());
        room->evictAll();
    }
    rooms_.clear();
}

void MucService::onStanza(const gloox::Tag& stanza) {
    StanzaHeader header = readHeader(stanza);
    if (header.name != "presence" && header.name != "message" && header.name != "iq") {
        SYLK_LOG(LOG_WARN, MucRoom::kPackage, "ignored <%s> from the server", header.name.c_str());
        return;
    }
    if (header.name == "iq" && (header.type == "result" || header.type == "error") && multicast_.answer(stanza, header))
        return;
    if (multicast_.bounced(header))
        return;
    if (header.type == "error") {
        // Never answered (RFC 6120 §8.3.1). A presence error from an occupant means its client
        // is gone: it leaves (XEP-0045 §18.1 ghost users).
        if (header.name == "presence" && header.from && header.to && header.to->domain == settings_.mucDomain) {
            if (auto room = findRoom(roomFromLocal(header.to->local).value_or("")); room) {
                room->leave(*header.from);
                dropIfEmpty(room->name());
            }
        }
        return;
    }
    if (!header.from) {
        SYLK_LOG(LOG_WARN, MucRoom::kPackage, "<%s> without a valid from dropped", header.name.c_str());
        return;
    }
    if (!header.to || header.to->domain != settings_.mucDomain) {
        ++refused_;
        if (header.name != "presence" || header.type.empty())
            reply(errorReply(stanza, "modify", "jid-malformed", "the to address is missing or not of this service"));
        return;
    }
    if (header.name == "presence")
        onPresence(stanza, header);
    else if (header.name == "message")
        onMessage(stanza, header);
    else
        onIq(stanza, header);
}

std::shared_ptr<MucRoom> MucService::findRoom(const std::string& name) const {
    auto it = rooms_.find(name);
    return it == rooms_.end() ? nullptr : it->second;
}

MucService::Admission MucService::admission(const std::string& room, const std::string& password) const {
    // Every plugin whose own room of that name has rules for newcomers guards the hub room: the
    // video room (its PIN, its lock) and the audio mixer (its PIN). A password must satisfy each
    // that has a PIN; one that refuses refuses the join.
    Admission result;
    for (const char* service : {hub::service::VideoRoomAdmit, hub::service::AudioMixerAdmit}) {
        if (!hub::Services::instance().offered(service))
            continue;
        Json request = Json::object();
        request.set("room", room).set("pin", password);
        try {
            Json answer = hub::Services::instance().call(service, request);
            if (json_is_true(json_object_get(answer.get(), "protected")))
                result.passwordProtected = true;
            if (!result.refusal.empty() || json_is_true(json_object_get(answer.get(), "admitted")))
                continue;
            json_t* reason = json_object_get(answer.get(), "reason");
            result.refusal = json_is_string(reason) ? json_string_value(reason) : "pin";
        } catch (const std::exception& e) {  // the plugin is stopping, or refused the question
            SYLK_LOG(LOG_WARN, MucRoom::kPackage, "room %s: %s could not say who may join (%s): refused", room.c_str(),
                     service, e.what());
            if (result.refusal.empty())
                result.refusal = "unknown";
        }
    }
    return result;
}

void MucService::dropIfEmpty(const std::string& name) {
    auto it = rooms_.find(name);
    if (it != rooms_.end() && it->second->empty())
        rooms_.erase(it);
}

void MucService::onPresence(const gloox::Tag& stanza, const StanzaHeader& header) {
    const Jid& to = *header.to;
    const Jid& from = *header.from;
    if (to.local.empty()) {
        // A join aimed at the service itself names no room; other presence to the service (a
        // subscription, a probe, directed presence) has nothing to answer.
        if (header.type.empty() && readPresence(stanza).mucJoin) {
            ++refused_;
            reply(errorReply(stanza, "modify", "jid-malformed", "join as room@service/nickname"));
        }
        return;
    }
    auto roomName = roomFromLocal(to.local);
    if (header.type == "unavailable") {
        if (auto room = roomName ? findRoom(*roomName) : nullptr) {
            room->leave(from);
            dropIfEmpty(room->name());
        }
        return;
    }
    if (!header.type.empty())
        return;  // subscribe, probe...: rooms have no roster
    if (!roomName || roomName->rfind(kDirectRoomPrefix, 0) == 0) {
        ++refused_;
        reply(errorReply(stanza, "cancel", "not-allowed", "that is not a room name"));
        return;
    }
    if (to.resource.empty()) {
        ++refused_;
        reply(errorReply(stanza, "modify", "jid-malformed", "join as room@service/nickname"));
        return;
    }
    if (std::string why = nickInvalidReason(to.resource); !why.empty()) {
        ++refused_;
        reply(errorReply(stanza, "modify", "jid-malformed", why));
        return;
    }
    std::shared_ptr<MucRoom> room = findRoom(*roomName);
    if (!room || !room->isOccupant(from)) {
        PresenceRead read = readPresence(stanza);
        if (std::string why = admission(*roomName, read.password).refusal; !why.empty()) {
            ++refused_;
            // XEP-0045 §7.2.6 (password-protected) and §7.2.9-like for a locked room.
            reply(why == "locked" ? errorReply(stanza, "cancel", "not-allowed", "the room is locked")
                                  : errorReply(stanza, "auth", "not-authorized", "a password (the room's PIN) is required"));
            return;
        }
    }
    if (!room) {
        room = std::make_shared<MucRoom>(*roomName, to.bare(), settings_, *link_, multicast_, thread_, events_);
        room->onEmptied([this](const std::string& name) { dropIfEmpty(name); });
        room->start();
        rooms_[*roomName] = room;
    }
    std::string memberId = std::string(MucRoom::kPackage) + "/" + std::to_string(nextMember_);
    bool wasOccupant = room->isOccupant(from);
    room->presence(stanza, from, to.resource, readPresence(stanza), memberId);
    if (!wasOccupant && (room->isOccupant(from) || room->holdsJoinOf(from)))
        ++nextMember_;  // a held join keeps its id for when it goes on
    dropIfEmpty(*roomName);  // a refused first join leaves no room behind
}

void MucService::onMessage(const gloox::Tag& stanza, const StanzaHeader& header) {
    if (header.type == "headline")
        return;  // never answered (RFC 6121 §5.2.2)
    const Jid& to = *header.to;
    if (to.local.empty()) {
        ++refused_;
        reply(errorReply(stanza, "cancel", "service-unavailable", "the room service takes no messages itself"));
        return;
    }
    auto roomName = roomFromLocal(to.local);
    auto room = roomName ? findRoom(*roomName) : nullptr;
    if (!room) {
        ++refused_;
        reply(errorReply(stanza, "modify", "not-acceptable", "you are not an occupant of this room"));
        return;
    }
    room->message(stanza, header, readMessage(stanza));
}

void MucService::onIq(const gloox::Tag& stanza, const StanzaHeader& header) {
    if (header.type != "get" && header.type != "set")
        return;  // results: we ask nothing
    IqRead iq = readIq(stanza);
    if (iq.payloads != 1) {
        ++refused_;
        reply(errorReply(stanza, "modify", "bad-request", "an iq get or set carries exactly one payload"));
        return;
    }
    bool get = header.type == "get";
    if (get && iq.payload == "query" && iq.xmlns == ns::kDiscoInfo)
        discoInfo(stanza, header);
    else if (get && iq.payload == "query" && iq.xmlns == ns::kDiscoItems)
        discoItems(stanza, header);
    else if (get && iq.payload == "ping" && iq.xmlns == ns::kPing)
        ping(stanza, header);
    else if (iq.payload == "jingle" && iq.xmlns == jingle_ns::kJingle)
        jingle_->onIq(stanza, header);
    else if (!get && iq.payload == "query" && iq.xmlns == ns::kMucAdmin)
        admin(stanza, header);
    else if (iq.xmlns == ns::kMucAdmin || iq.xmlns == "http://jabber.org/protocol/muc#owner") {
        ++refused_;
        // Lists of roles and affiliations, and room configuration: the rooms are the hub's,
        // configured by whoever made them; only kicks are served (admin()).
        reply(errorReply(stanza, "cancel", "feature-not-implemented",
                         "room configuration and role or affiliation lists are not supported"));
    } else {
        ++refused_;
        reply(errorReply(stanza, "cancel", "service-unavailable"));
    }
}

void MucService::admin(const gloox::Tag& stanza, const StanzaHeader& header) {
    const Jid& to = *header.to;
    auto roomName = roomFromLocal(to.local);
    if (to.local.empty() || !to.resource.empty() || !roomName) {
        ++refused_;
        reply(errorReply(stanza, "modify", "bad-request", "room administration goes to the room's bare JID"));
        return;
    }
    auto room = findRoom(*roomName);
    if (!room) {
        ++refused_;
        reply(errorReply(stanza, "auth", "forbidden", "you are not an occupant of this room"));
        return;
    }
    room->admin(stanza, *header.from, readAdmin(stanza));
}

void MucService::ping(const gloox::Tag& stanza, const StanzaHeader& header) {
    const Jid& to = *header.to;
    if (to.resource.empty()) {
        reply(iqResult(stanza));
        return;
    }
    // XEP-0410 self-ping to one's own occupant JID: not-acceptable tells a client it is not in
    // the room (any more: after our link came back), so it joins again.
    auto roomName = roomFromLocal(to.local);
    auto room = roomName ? findRoom(*roomName) : nullptr;
    if (room && room->nickOf(*header.from) == to.resource) {
        reply(iqResult(stanza));
        return;
    }
    ++refused_;
    reply(errorReply(stanza, "cancel", "not-acceptable", "you are not an occupant of this room"));
}

void MucService::discoInfo(const gloox::Tag& stanza, const StanzaHeader& header) {
    const Jid& to = *header.to;
    if (!to.resource.empty()) {
        ++refused_;
        reply(errorReply(stanza, "cancel", "service-unavailable", "occupants are not queried through the room"));
        return;
    }
    if (to.local.empty()) {
        reply(discoInfoResult(stanza, {{"conference", "text", "Sylk rooms"}},
                              {ns::kDiscoInfo, ns::kDiscoItems, ns::kMuc, ns::kPing, jingle_ns::kJingle, jingle_ns::kRtp,
                           jingle_ns::kRtpAudio, jingle_ns::kIceUdp, jingle_ns::kDtls}));
        return;
    }
    auto roomName = roomFromLocal(to.local);
    if (!roomName || roomName->rfind(kDirectRoomPrefix, 0) == 0) {
        ++refused_;
        reply(errorReply(stanza, "cancel", "item-not-found", "that is not a room name"));
        return;
    }
    // Any valid name is a room: hub rooms are made by their first member, whichever plugin's.
    // Protected (XEP-0045 §6.4) when the video room's or the audio mixer's room of that name
    // has a PIN, which a join must give as the room's password.
    bool passwordProtected = admission(*roomName, "").passwordProtected;
    reply(discoInfoResult(stanza, {{"conference", "text", *roomName}},
                          {ns::kDiscoInfo, ns::kMuc, "muc_open", "muc_public", "muc_semianonymous",
                           "muc_temporary", "muc_unmoderated", passwordProtected ? "muc_passwordprotected" : "muc_unsecured",
                           "muc_nonpersistent",
                           jingle_ns::kJingle, jingle_ns::kRtp, jingle_ns::kRtpAudio, jingle_ns::kIceUdp, jingle_ns::kDtls}));
}

void MucService::discoItems(const gloox::Tag& stanza, const StanzaHeader& header) {
    const Jid& to = *header.to;
    std::vector<std::pair<std::string, std::string>> items;
    if (to.local.empty()) {
        // The active hub rooms: those with members, of whichever plugin.
        for (const auto& id : hub::Hub::instance().roomIds()) {
            auto room = hub::Hub::instance().find(id);
            std::string local = localFromRoom(id);
            if (!room || room->members().empty() || local.empty() || id.rfind(kDirectRoomPrefix, 0) == 0)
                continue;
            items.emplace_back(local + "@" + settings_.mucDomain, id);
        }
    }
    reply(discoItemsResult(stanza, items));
}

Json MucService::status() const {
    Json rooms = Json::array();
    size_t occupants = 0;
    for (const auto& [name, room] : rooms_) {
        rooms.append(room->status());
        occupants += room->occupantCount();
    }
    Json json = Json::object();
    json.set("link", link_->status())
        .set("rooms", rooms)
        .set("occupants", static_cast<json_int_t>(occupants))
        .set("refused", static_cast<json_int_t>(refused_))
        .set("jingle", jingle_->status())
        .set("multicast", multicast_.status());
    return json;
}

}  // namespace sylk::xmpp
