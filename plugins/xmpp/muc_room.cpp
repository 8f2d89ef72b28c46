#include "muc_room.hpp"

#include <gloox/tag.h>

#include <algorithm>

#include "muc_naming.hpp"
#include "muc_stanzas.hpp"
#include "sylkcore/cluster/member_id.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"

namespace sylk::xmpp {
namespace {

constexpr int kSelfPresence = 110;  // XEP-0045 status code: this presence is about you

bool typing(ChatState state) { return state == ChatState::Composing; }

}  // namespace

MucRoom::MucRoom(std::string name, std::string jid, const XmppSettings& settings, ComponentLink& link,
                 const ServerMulticast& multicast, net::StackThread& thread, const MucEvents& events)
    : name_(std::move(name)),
      jid_(std::move(jid)),
      settings_(settings),
      link_(link),
      multicast_(multicast),
      thread_(thread),
      events_(events) {}

Json MucRoom::occupantEvent(const char* what, const Occupant& occupant) const {
    Json event = Json::object();
    event.set("event", what)
        .set("room", name_)
        .set("nick", occupant.nick)
        .set("member", occupant.memberId)
        .set("jid", occupant.jid.bare());
    return event;
}

MucRoom::~MucRoom() {
    subscription_.reset();
    if (hubRoom_) {
        for (const auto& [full, occupant] : occupants_)
            hubRoom_->leave(occupant.memberId);
        hubRoom_.reset();
        hub::Hub::instance().closeIfIdle(name_);
    }
}

void MucRoom::start() {
    hubRoom_ = hub::Hub::instance().open(name_);
    hubRoom_->keepHistory(settings_.history);
    subscription_ = hubRoom_->subscribe(shared_from_this());
    // Subscribed first, then read: a member who joins in between is learnt twice, which
    // assign() makes harmless; none is missed.
    for (const auto& member : hubRoom_->members())
        nicks_.assign(member.id, member.display);
}

// ------------------------------------------------------------------ from XMPP

void MucRoom::presence(const gloox::Tag& stanza, const Jid& user, const std::string& nick, const PresenceRead& read,
                       const std::string& memberId, bool mayWait) {
    if (auto it = occupants_.find(user.full()); it != occupants_.end()) {
        if (it->second.nick != nick) {
            changeNick(stanza, it->second, nick);
            return;
        }
        // Joining again with the same nickname (a client that lost track): the room state
        // again, without history, and no second hub member. A presence update without the MUC
        // <x/> (away, a status text) changes nothing the hub shows.
        if (read.mucJoin)
            sendRoomState(it->second, 0);
        return;
    }
    if (holdsJoinOf(user))
        return;  // joining again while the first join waits: that one answers
    if (nicks_.taken(nick)) {
        auto holder = nicks_.memberOf(nick);
        if (mayWait && holder && settings_.ghostNickWait.count() > 0 && read.mucJoin &&
            !cluster::nodeOfMember(*holder, kPackage).empty()) {
            holdJoin(stanza, user, nick, read, memberId);
            return;
        }
        send(errorReply(stanza, "cancel", "conflict", "that nickname is in use in the room"));
        return;
    }
    if (read.badHistory) {
        send(errorReply(stanza, "modify", "bad-request", "history maxstanzas must be a number"));
        return;
    }
    nicks_.claim(memberId, nick);
    bool moderator = settings_.moderators.count(user.bare()) != 0;
    Occupant& joiner = occupants_[user.full()] = Occupant{user, nick, memberId, moderator, read.password};
    if (moderator)
        moderatorMembers_.insert(memberId);
    // The others see the newcomer now; its own hub 'joined' event is not needed for that.
    broadcastPresence(nick, true, memberId);
    size_t historyMax = std::min(settings_.history, read.maxStanzas.value_or(settings_.history));
    if (read.maxChars == size_t{0})
        historyMax = 0;  // maxchars='0': no history (other character limits are not counted)
    int64_t since = read.seconds ? hub::nowMs() - static_cast<int64_t>(*read.seconds) * 1000 : 0;
    joiner.historyThrough = sendRoomState(joiner, historyMax, since);
    joinHub(joiner);
    events_.notify([&] { return occupantEvent("joined", joiner).setBool("moderator", joiner.moderator); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s joined as %s (%s)%s", name_.c_str(), user.bare().c_str(), nick.c_str(),
             memberId.c_str(), moderator ? ", a moderator" : "");
}

bool MucRoom::holdsJoinOf(const Jid& user) const {
    return std::any_of(heldJoins_.begin(), heldJoins_.end(),
                       [&](const auto& held) { return held->user.full() == user.full(); });
}

void MucRoom::holdJoin(const gloox::Tag& stanza, const Jid& user, const std::string& nick, const PresenceRead& read,
                       const std::string& memberId) {
    auto held = std::make_unique<HeldJoin>();
    held->stanza.reset(stanza.clone());
    held->user = user;
    held->nick = nick;
    held->read = read;
    held->memberId = memberId;
    HeldJoin* raw = held.get();
    std::weak_ptr<MucRoom> weak = weak_from_this();
    held->timeout = thread_.after(settings_.ghostNickWait, [weak, raw] {
        auto room = weak.lock();
        if (!room)
            return;
        auto it = std::find_if(room->heldJoins_.begin(), room->heldJoins_.end(),
                               [&](const auto& each) { return each.get() == raw; });
        if (it == room->heldJoins_.end())
            return;
        auto expired = std::move(*it);
        room->heldJoins_.erase(it);
        room->send(errorReply(*expired->stanza, "cancel", "conflict", "that nickname is in use in the room"));
        if (room->empty() && room->emptied_)
            room->emptied_(room->name_);
    });
    heldJoins_.push_back(std::move(held));
    ++joinsHeld_;
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s's join as %s waits: another node's occupant has that nickname",
             name_.c_str(), user.bare().c_str(), nick.c_str());
}

void MucRoom::releaseHeldJoins(const std::string& nick) {
    for (auto it = heldJoins_.begin(); it != heldJoins_.end();) {
        if ((*it)->nick != nick) {
            ++it;
            continue;
        }
        auto held = std::move(*it);
        it = heldJoins_.erase(it);
        held->timeout.cancel();
        presence(*held->stanza, held->user, held->nick, held->read, held->memberId, false);
        if (empty()) {  // refused after all (someone else took the nickname): nobody left here
            std::weak_ptr<MucRoom> weak = weak_from_this();
            thread_.post([weak] {
                if (auto room = weak.lock(); room && room->empty() && room->emptied_)
                    room->emptied_(room->name_);
            });
        }
        return;  // the nickname is taken again (by this joiner, or refused): one at a time
    }
}

void MucRoom::joinHub(const Occupant& occupant) {
    hub::Member member{occupant.memberId, occupant.nick, kPackage};
    member.moderator = occupant.moderator;
    hubRoom_->join(member);  // again for a known member: an `updated` event (a new display)
}

std::string MucRoom::roleOf(const std::string& memberId) const {
    bool moderator = moderatorMembers_.count(memberId) != 0 || hubRoom_->isModerator(memberId);
    return moderator ? "moderator" : "participant";
}

void MucRoom::changeNick(const gloox::Tag& stanza, Occupant& occupant, const std::string& nick) {
    // XEP-0045 §7.6: refused (409) when anyone holds the new nickname; else every occupant,
    // the changer included (with 110), sees the old one go with 303 and the new one come.
    if (nicks_.taken(nick)) {
        send(errorReply(stanza, "cancel", "conflict", "that nickname is in use in the room"));
        return;
    }
    std::string old = occupant.nick;
    nicks_.release(occupant.memberId);
    nicks_.claim(occupant.memberId, nick);
    occupant.nick = nick;
    announceNickChange(occupant.memberId, old, nick);
    joinHub(occupant);
    events_.notify([&] { return occupantEvent("nick_changed", occupant).set("old_nick", old); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s is now %s (%s)", name_.c_str(), old.c_str(), nick.c_str(),
             occupant.memberId.c_str());
}

void MucRoom::announceNickChange(const std::string& memberId, const std::string& old, const std::string& nick) {
    std::string role = roleOf(memberId);
    for (const auto& [full, other] : occupants_) {
        bool self = other.memberId == memberId;
        OccupantPresence gone;
        gone.from = nickJid(old);
        gone.to = full;
        gone.available = false;
        gone.role = role;
        gone.newNick = nick;
        gone.statusCodes = self ? std::vector<int>{303, kSelfPresence} : std::vector<int>{303};
        send(occupantPresence(gone));
        sendPresence(nick, other, true, self ? std::vector<int>{kSelfPresence} : std::vector<int>{});
    }
}

void MucRoom::admin(const gloox::Tag& stanza, const Jid& user, const AdminRead& read) {
    // XEP-0045 §8.2: only a kick (role none of one occupant, by nick) is served.
    if (read.items != 1) {
        send(errorReply(stanza, "modify", "bad-request", "one <item/> per request"));
        return;
    }
    if (!read.affiliation.empty() || read.role != "none") {
        send(errorReply(stanza, "cancel", "feature-not-implemented",
                        "only kicks (role none) are supported; affiliations and other roles are not"));
        return;
    }
    if (read.nick.empty()) {
        send(errorReply(stanza, "modify", "bad-request", "a kick names the occupant by nick"));
        return;
    }
    auto it = occupants_.find(user.full());
    if (it == occupants_.end()) {
        send(errorReply(stanza, "auth", "forbidden", "you are not an occupant of this room"));
        return;
    }
    const Occupant& kicker = it->second;
    if (!kicker.moderator) {
        send(errorReply(stanza, "auth", "forbidden", "only a moderator may kick"));
        return;
    }
    auto target = nicks_.memberOf(read.nick);
    if (!target) {
        send(errorReply(stanza, "cancel", "item-not-found", "no occupant " + read.nick + " in the room"));
        return;
    }
    if (roleOf(*target) == "moderator") {
        send(errorReply(stanza, "cancel", "not-allowed", "a moderator cannot be kicked"));
        return;
    }
    // The plugin serving the target removes it (for ours: kicked() below, on the hub event).
    hub::KickOrder order;
    order.target = *target;
    order.display = kicker.nick;
    order.reason = read.reason;
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s (%s) kicks %s (%s)", name_.c_str(), kicker.nick.c_str(),
             kicker.memberId.c_str(), read.nick.c_str(), target->c_str());
    if (!occupantByMember(*target) && kickedOthers_.size() < 1000)
        kickedOthers_[*target] = {kicker.nick, read.reason};  // its `left` shows as a kick (307)
    hubRoom_->post(kPackage, kicker.memberId, hub::kick(order));
    send(iqResult(stanza));
}

void MucRoom::kicked(const hub::RoomEvent& event) {
    hub::KickOrder order = hub::readKick(event);
    if (moderatorMembers_.count(event.member) == 0 && !hubRoom_->isModerator(event.member)) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: kick of %s by %s ignored: not a moderator", name_.c_str(),
                 order.target.c_str(), event.member.c_str());
        return;
    }
    std::string actor = nicks_.nickOf(event.member);
    if (actor.empty())
        actor = order.display;
    Occupant* target = occupantByMember(order.target);
    if (!target) {
        // Another plugin's member: that plugin removes it; its `left` then shows as a kick. Our
        // own kicks were noted when posted (admin()): the target's plugin may act, and its
        // `left` reach us, before this event does.
        if (event.plugin != kPackage && !nicks_.nickOf(order.target).empty() && kickedOthers_.size() < 1000)
            kickedOthers_[order.target] = {actor, order.reason};
        return;
    }
    Occupant gone = *target;
    occupants_.erase(gone.jid.full());
    // XEP-0045 §8.2: the kicked occupant gets 110 and 307, the others 307.
    OccupantPresence presence;
    presence.from = nickJid(gone.nick);
    presence.to = gone.jid.full();
    presence.available = false;
    presence.statusCodes = {kSelfPresence, 307};
    presence.actorNick = actor;
    presence.reason = order.reason;
    send(occupantPresence(presence));
    presence.statusCodes = {307};
    for (const auto& [full, other] : occupants_) {
        presence.to = full;
        send(occupantPresence(presence));
    }
    nicks_.release(gone.memberId);
    moderatorMembers_.erase(gone.memberId);
    ++kicks_;
    hubRoom_->leave(gone.memberId);
    events_.notify([&] {
        Json report = occupantEvent("kicked", gone).set("by", event.member).set("actor", actor);
        if (!order.reason.empty())
            report.set("reason", order.reason);
        return report;
    });
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s (%s) kicked by %s", name_.c_str(), gone.nick.c_str(),
             gone.memberId.c_str(), event.member.c_str());
    if (occupants_.empty() && emptied_)
        emptied_(name_);  // last: the service may drop this room (its caller still holds it)
}

uint64_t MucRoom::sendRoomState(const Occupant& joiner, size_t historyMax, int64_t historySinceMs) {
    // XEP-0045 §7.2.3: every other occupant's presence, then one's own with 110 last.
    for (const auto& [memberId, nick] : nicks_.byMember()) {
        if (memberId != joiner.memberId)
            sendPresence(nick, joiner, true);
    }
    sendPresence(joiner.nick, joiner, true, {kSelfPresence});
    // §7.2.15 history, then §7.2.16 the subject (which tells clients the join is complete).
    hub::Room::HistorySnapshot history = hubRoom_->historySnapshot(historyMax);
    for (const auto& event : history.events) {
        try {
            hub::ChatMessage chat = hub::readChat(event);
            RoomMessage message;
            message.from = nickJid(senderNick(event, chat.senderName(event)));
            message.to = joiner.jid.full();
            message.id = chat.id;
            message.body = chat.text;
            if (chat.encoding.empty() && !message.body.empty() && chat.timestamp >= historySinceMs)
                send(historyMessage(message, chat.timestamp, jid_));
        } catch (const hub::InvalidHubEvent&) {
            // never kept by the hub
        }
    }
    send(subjectMessage(jid_, joiner.jid.full(), ""));
    return history.through;
}

void MucRoom::sendPresence(const std::string& nick, const Occupant& to, bool available, std::vector<int> codes) {
    OccupantPresence presence;
    presence.from = nickJid(nick);
    presence.to = to.jid.full();
    presence.available = available;
    presence.statusCodes = std::move(codes);
    if (auto member = nicks_.memberOf(nick))
        presence.role = roleOf(*member);
    send(occupantPresence(presence));
}

void MucRoom::broadcastPresence(const std::string& nick, bool available, const std::string& skipMember) {
    OccupantPresence presence;
    presence.from = nickJid(nick);
    presence.available = available;
    if (auto member = nicks_.memberOf(nick))
        presence.role = roleOf(*member);
    sendToOccupants(*occupantPresence(presence), skipMember);
}

void MucRoom::leave(const Jid& user) {
    std::erase_if(heldJoins_, [&](const auto& held) { return held->user.full() == user.full(); });  // gave up waiting
    auto it = occupants_.find(user.full());
    if (it == occupants_.end())
        return;
    Occupant gone = std::move(it->second);
    occupants_.erase(it);
    sendPresence(gone.nick, gone, false, {kSelfPresence});
    broadcastPresence(gone.nick, false);
    nicks_.release(gone.memberId);
    moderatorMembers_.erase(gone.memberId);
    hubRoom_->leave(gone.memberId);
    events_.notify([&] { return occupantEvent("left", gone).set("reason", "unavailable"); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s (%s) left", name_.c_str(), gone.nick.c_str(), gone.memberId.c_str());
}

void MucRoom::evictAll() {
    heldJoins_.clear();  // the link went: their users join again
    for (const auto& [full, occupant] : occupants_) {
        nicks_.release(occupant.memberId);
        hubRoom_->leave(occupant.memberId);
        events_.notify([&] { return occupantEvent("left", occupant).set("reason", "link down"); });
    }
    occupants_.clear();
    moderatorMembers_.clear();
}

void MucRoom::message(const gloox::Tag& stanza, const StanzaHeader& header, const MessageRead& read) {
    auto from = occupants_.find(header.from->full());
    if (from == occupants_.end()) {
        send(errorReply(stanza, "modify", "not-acceptable", "you are not an occupant of this room"));
        return;
    }
    if (read.body && read.body->size() > settings_.maxBodyBytes) {
        send(errorReply(stanza, "modify", "not-acceptable",
                        "the message body is over " + std::to_string(settings_.maxBodyBytes) + " bytes"));
        return;
    }
    const std::string& nick = header.to->resource;
    if (header.type == "groupchat") {
        if (!nick.empty()) {
            send(errorReply(stanza, "modify", "bad-request", "a groupchat message goes to the room, not to an occupant"));
            return;
        }
        groupchat(stanza, from->second, read);
        return;
    }
    if (read.invite) {
        invite(stanza, from->second, read);
        return;
    }
    if (nick.empty()) {
        send(errorReply(stanza, "modify", "bad-request", "to the room, send messages of type groupchat"));
        return;
    }
    privateMessage(stanza, from->second, nick, read);
}

void MucRoom::groupchat(const gloox::Tag& stanza, const Occupant& from, const MessageRead& read) {
    if (read.subject) {
        send(errorReply(stanza, "auth", "forbidden", "the subject of this room cannot be changed"));
        return;
    }
    if (!read.body || read.body->empty()) {  // an empty body carries nothing to show
        if (read.state != ChatState::None) {
            hub::ComposingState state;
            state.display = from.nick;
            state.active = typing(read.state);
            hubRoom_->post(kPackage, from.memberId, hub::composing(state));
        }
        return;  // nothing else to carry (a bare receipt, marker or unknown payload)
    }
    hub::ChatMessage chat;
    chat.id = hub::newMessageId();
    chat.display = from.nick;
    chat.uri = "xmpp:" + from.jid.bare();
    chat.text = *read.body;
    chat.timestamp = hub::nowMs();
    // The sender's echo carries its own id (XEP-0045 §7.4: clients match their message by it).
    std::string stanzaId = stanza.findAttribute("id");
    origins_[chat.id] = stanzaId.empty() ? chat.id : stanzaId;
    ++messagesIn_;
    hubRoom_->post(kPackage, from.memberId, hub::chat(chat));
}

void MucRoom::invite(const gloox::Tag& stanza, const Occupant& from, const MessageRead& read) {
    // All invitees are checked before any is invited: one bad address refuses the message.
    std::vector<Jid> invitees;
    for (const auto& to : read.inviteTo) {
        auto jid = Jid::parse(to);
        if (!jid || jid->local.empty()) {
            send(errorReply(stanza, "modify", "jid-malformed", "invite to='" + to + "' is not a user's JID"));
            return;
        }
        if (jid->domain == settings_.mucDomain) {
            send(errorReply(stanza, "modify", "bad-request", "an occupant of a room cannot be invited"));
            return;
        }
        if (jid->domain == settings_.sipDomain && sipUserOf(*jid).find('@') == std::string::npos) {
            send(errorReply(stanza, "modify", "jid-malformed", "a SIP user is user\\40host@" + settings_.sipDomain));
            return;
        }
        invitees.push_back(*jid);
    }
    for (const Jid& invitee : invitees) {
        if (invitee.domain != settings_.sipDomain) {
            send(invitationMessage(jid_, invitee.bare(), from.jid.bare(), read.inviteReason));
            events_.notify([&] { return occupantEvent("invited", from).set("invitee", "xmpp:" + invitee.bare()); });
            continue;
        }
        if (!inviteSipUser(stanza, from, sipUserOf(invitee), read.inviteReason))
            return;
    }
}

std::string MucRoom::sipUserOf(const Jid& invitee) const {
    // RFC 7247 address mapping, as the sip domain's: the local part is the SIP user@host,
    // XEP-0106 escaped.
    return "sip:" + roomFromLocal(invitee.local).value_or("");
}

bool MucRoom::inviteSipUser(const gloox::Tag& stanza, const Occupant& from, const std::string& uri,
                            const std::string& reason) {
    // A web user of the SIP gateway gets the invitation as an event on its handles: a notice,
    // which any occupant may send (as to an XMPP user). Else the SIP focus calls the user in,
    // which only a moderator may have it do.
    try {
        if (hub::Services::instance().offered(hub::service::SipGatewayInvite)) {
            Json request = Json::object();
            request.set("uri", uri).set("room", name_).set("from", "xmpp:" + from.jid.bare()).set("display", from.nick);
            if (!reason.empty())
                request.set("reason", reason);
            Json answer = hub::Services::instance().call(hub::service::SipGatewayInvite, request);
            json_t* delivered = answer.member("delivered");
            if (delivered && json_integer_value(delivered) > 0) {
                events_.notify([&] { return occupantEvent("invited", from).set("invitee", uri).setBool("web", true); });
                SYLK_LOG(LOG_INFO, kPackage, "room %s: %s invites web user %s", name_.c_str(), from.nick.c_str(),
                         uri.c_str());
                return true;
            }
        }
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: invitation of %s to the gateway's web users: %s", name_.c_str(),
                 uri.c_str(), e.what());
    }
    if (!from.moderator) {
        send(errorReply(stanza, "auth", "forbidden", "only a moderator may call SIP users into the room"));
        return false;
    }
    try {
        Json request = Json::object();
        request.set("room", name_).set("uri", uri).set("display", from.nick);
        hub::Services::instance().call(hub::service::SipFocusInvite, request);
    } catch (const std::exception& e) {
        send(errorReply(stanza, "cancel", "service-unavailable", std::string("cannot call ") + uri + ": " + e.what()));
        return false;
    }
    events_.notify([&] { return occupantEvent("invited", from).set("invitee", uri); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s calls %s into the room", name_.c_str(), from.nick.c_str(), uri.c_str());
    return true;
}

void MucRoom::privateMessage(const gloox::Tag& stanza, const Occupant& from, const std::string& toNick,
                             const MessageRead& read) {
    auto recipient = nicks_.memberOf(toNick);
    if (!recipient) {
        send(errorReply(stanza, "cancel", "item-not-found", "no occupant " + toNick + " in the room"));
        return;
    }
    if (!read.body || read.body->empty()) {  // an empty body carries nothing to show
        if (read.state != ChatState::None) {
            hub::ComposingState state;
            state.display = from.nick;
            state.active = typing(read.state);
            state.to = *recipient;
            hubRoom_->post(kPackage, from.memberId, hub::composing(state));
        }
        return;
    }
    hub::ChatMessage chat;
    chat.id = hub::newMessageId();
    chat.display = from.nick;
    chat.uri = "xmpp:" + from.jid.bare();
    chat.text = *read.body;
    chat.timestamp = hub::nowMs();
    chat.to = *recipient;
    std::string stanzaId = stanza.findAttribute("id");
    origins_[chat.id] = stanzaId.empty() ? chat.id : stanzaId;
    ++messagesIn_;
    hubRoom_->post(kPackage, from.memberId, hub::chat(chat));
}

// ------------------------------------------------------------------ from the hub

void MucRoom::onRoomEvent(const hub::RoomEvent& event) {
    std::weak_ptr<MucRoom> weak = weak_from_this();
    thread_.post([weak, event] {
        if (auto room = weak.lock())
            room->handle(event);
    });
}

void MucRoom::handle(const hub::RoomEvent& event) {
    try {
        if (event.kind == hub::kind::Chat)
            deliverChat(event);
        else if (event.kind == hub::kind::Composing)
            deliverComposing(event);
        else if (event.kind == hub::kind::Joined || event.kind == hub::kind::Updated || event.kind == hub::kind::Left)
            rosterChanged(event);
        else if (event.kind == hub::kind::Kick)
            kicked(event);
    } catch (const hub::InvalidHubEvent& e) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: dropped %s", name_.c_str(), e.what());
    }
}

void MucRoom::rosterChanged(const hub::RoomEvent& event) {
    if (event.plugin == kPackage)
        return;  // our occupants' presence went out when they joined or left
    hub::Member member = hub::readMember(event);
    if (event.kind == hub::kind::Left) {
        std::string nick = nicks_.nickOf(member.id);
        if (nick.empty())
            return;
        nicks_.release(member.id);
        auto kick = kickedOthers_.find(member.id);
        if (kick == kickedOthers_.end()) {
            broadcastPresence(nick, false);
            releaseHeldJoins(nick);  // a join waiting for that nickname goes on
            return;
        }
        OccupantPresence presence;  // XEP-0045 §8.2: the others see a kick
        presence.from = nickJid(nick);
        presence.available = false;
        presence.statusCodes = {307};
        presence.actorNick = kick->second.first;
        presence.reason = kick->second.second;
        kickedOthers_.erase(kick);
        for (const auto& [full, occupant] : occupants_) {
            presence.to = full;
            send(occupantPresence(presence));
        }
        return;
    }
    if (std::string old = nicks_.nickOf(member.id); !old.empty()) {
        // Known already: only a new display (a web user's `configure` with `display`) changes
        // its nickname, shown as an XMPP user's change is (§7.6: 303, then the new presence).
        if (event.kind != hub::kind::Updated || nicks_.displayOf(member.id) == member.display)
            return;
        nicks_.release(member.id);
        std::string nick = nicks_.assign(member.id, member.display);
        if (nick != old)
            announceNickChange(member.id, old, nick);
        return;
    }
    const std::string& nick = nicks_.assign(member.id, member.display);
    broadcastPresence(nick, true);
}

std::string MucRoom::senderNick(const hub::RoomEvent& event, const std::string& display) const {
    std::string nick = nicks_.nickOf(event.member);
    return nick.empty() ? display : nick;
}

MucRoom::Occupant* MucRoom::occupantByMember(const std::string& memberId) {
    for (auto& [full, occupant] : occupants_) {
        if (occupant.memberId == memberId)
            return &occupant;
    }
    return nullptr;
}

void MucRoom::deliverChat(const hub::RoomEvent& event) {
    hub::ChatMessage chat = hub::readChat(event);
    std::string id = chat.id;
    if (auto it = origins_.find(chat.id); it != origins_.end()) {
        id = it->second;
        origins_.erase(it);
    }
    if (!chat.encoding.empty())
        return;  // binary content (an MSRP image): XMPP bodies are text
    RoomMessage message;
    message.from = nickJid(senderNick(event, chat.senderName(event)));
    message.id = id;
    message.body = chat.text;
    if (chat.isPrivate()) {
        Occupant* to = occupantByMember(chat.to);
        if (!to)
            return;  // to a member another plugin serves
        message.type = "chat";
        message.to = to->jid.full();
        ++messagesOut_;
        send(roomMessage(message));
        return;
    }
    messagesOut_ += sendToOccupants(*roomMessage(message), "", event.sequence);
}

void MucRoom::deliverComposing(const hub::RoomEvent& event) {
    hub::ComposingState state = hub::readComposing(event);
    RoomMessage message;
    message.from = nickJid(senderNick(event, state.display.empty() ? event.member : state.display));
    message.state = state.active ? ChatState::Composing : ChatState::Paused;
    if (state.isPrivate()) {
        Occupant* to = occupantByMember(state.to);
        if (!to)
            return;
        message.type = "chat";
        message.to = to->jid.full();
        send(roomMessage(message));
        return;
    }
    sendToOccupants(*roomMessage(message), event.member);  // not told about one's own typing
}

size_t MucRoom::sendToOccupants(const gloox::Tag& unaddressed, const std::string& skipMember, uint64_t sequence) {
    // The room's fan-out is most of what goes to the server. With multicast the server makes
    // the copies in process (mod_sylk_multicast), as its own MUC does, instead of parsing and
    // routing each copy of ours. Else: the stanza serialised once and the N copies handed over
    // in one write spares gloox's N serialisations and N send()s, and lets the server read them
    // in one go.
    std::string text = unaddressedText(unaddressed);
    std::vector<const std::string*> recipients;
    recipients.reserve(occupants_.size());
    for (const auto& [full, occupant] : occupants_) {
        bool inHistory = sequence != 0 && sequence <= occupant.historyThrough;
        if (inHistory || (!skipMember.empty() && occupant.memberId == skipMember))
            continue;
        recipients.push_back(&full);
    }
    std::string out;
    size_t stanzas = 0;
    if (recipients.size() > 1 && multicast_.available()) {
        // At most this many recipients a stanza: a full JID's address is ~40-100 bytes, so a
        // stanza stays far below the servers' size limits for a component (Prosody: 512 KiB).
        constexpr size_t kRecipientsPerStanza = 256;
        out.reserve(text.size() + recipients.size() * 96);
        for (size_t first = 0; first < recipients.size(); first += kRecipientsPerStanza) {
            size_t last = std::min(recipients.size(), first + kRecipientsPerStanza);
            std::vector<const std::string*> chunk(recipients.begin() + static_cast<std::ptrdiff_t>(first),
                                                  recipients.begin() + static_cast<std::ptrdiff_t>(last));
            appendMulticast(out, text, multicast_.service(), chunk, multicast_.format());
            ++stanzas;
        }
    } else {
        out.reserve(recipients.size() * (text.size() + 64));
        for (const std::string* full : recipients)
            appendAddressed(out, text, *full);
        stanzas = recipients.size();
    }
    if (stanzas != 0)
        link_.sendText(out, stanzas);
    return recipients.size();
}

Json MucRoom::status() const {
    Json occupants = Json::array();
    for (const auto& [full, occupant] : occupants_)
        occupants.append(Json::object().set("nick", occupant.nick).set("member", occupant.memberId).setBool("moderator", occupant.moderator));
    Json json = Json::object();
    json.set("room", name_)
        .set("jid", jid_)
        .set("occupants", occupants)
        .set("members", static_cast<json_int_t>(nicks_.size()))
        .set("messages_in", static_cast<json_int_t>(messagesIn_))
        .set("messages_out", static_cast<json_int_t>(messagesOut_))
        .set("kicks", static_cast<json_int_t>(kicks_))
        .set("joins_held", static_cast<json_int_t>(joinsHeld_))
        .set("joins_waiting", static_cast<json_int_t>(heldJoins_.size()));
    return json;
}

}  // namespace sylk::xmpp
