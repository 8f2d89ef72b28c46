// The conference event package (RFC 4575): SUBSCRIBE and NOTIFY of a room's roster, and the hub
// listeners (watchers) that tell the SIP thread of changes and chat. Part of class ConferenceFocus
// (conference_focus.hpp).
#include "conference_focus.hpp"

#include "sofia.hpp"

#include "conference_info.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"

#include "conference_focus_detail.hpp"

namespace sylk::sip {

using namespace conference_focus_detail;

namespace {

// The msrp plugin: its members are in a room by chat alone.
constexpr char kMsrpPackage[] = "janus.plugin.sylk.msrp";

// The address a chat's sender has of its own: its member's uri (an IRC user's
// sip:<nick>@<server>), or, for a message from no member (an IRC channel open to outsiders), the
// uri the message carries. Empty: the focus names the sender itself (a phone's URI, a urn).
std::string senderUri(const hub::RoomEvent& event, const hub::ChatMessage& message) {
    if (event.member.empty())
        return message.uri;
    if (auto room = hub::Hub::instance().find(event.room))
        for (const auto& member : room->members())
            if (member.id == event.member)
                return member.uri;
    return "";
}

}  // namespace

// ---------------------------------------------------------------- conference event package

struct ConferenceFocus::Watcher : hub::RoomListener {
    Watcher(ConferenceFocus& focus, std::string room) : focus(focus), room(std::move(room)) {}
    void onRoomEvent(const hub::RoomEvent& event) override {
        // Posted on the poster's thread: the SIP thread picks it up on its next tick. Nothing
        // may escape to the poster.
        try {
            if (event.kind == hub::kind::Joined || event.kind == hub::kind::Left || event.kind == hub::kind::Updated) {
                if (event.kind == hub::kind::Left)
                    focus.setNickname(room, event.member, "");
                focus.markChanged(room);
            } else if (event.kind == hub::kind::Nickname) {
                // An MSRP participant's NICKNAME (RFC 7701), posted by the msrp plugin.
                focus.setNickname(room, event.member, hub::readNickname(event).nickname);
                focus.markChanged(room);
            } else if (event.kind == hub::kind::FileShared) {
                focus.markChanged(room);  // conference-info lists the room's files
            } else if (event.kind == hub::kind::Chat) {
                hub::ChatMessage message = hub::readChat(event);
                // Phones get the room's plain-text messages; a private one goes to its recipient
                // alone (deliverChat finds it among the calls, or nobody here has it).
                if (message.contentType.rfind("text/plain", 0) == 0)
                    focus.queueChat({room, event.member, message.senderName(event), message.text,
                                     senderUri(event, message), message.to});
            } else if (event.kind == hub::kind::MsrpPath) {
                focus.queuePathChange(hub::readMsrpPath(event));
            } else if (event.kind == hub::kind::Kick) {
                hub::KickOrder order = hub::readKick(event);
                auto hubRoom = hub::Hub::instance().find(room);
                if (hubRoom && hubRoom->isModerator(event.member))
                    focus.queueKick(room, order);
            }
        } catch (const hub::InvalidHubEvent& e) {
            SYLK_LOG(LOG_WARN, kPackage, "room %s: dropped %s", room.c_str(), e.what());
        }
    }
    ConferenceFocus& focus;
    std::string room;
};

void ConferenceFocus::setNickname(const std::string& room, const std::string& member, const std::string& nickname) {
    std::lock_guard lock(changedMutex_);
    if (nickname.empty()) {
        auto entry = nicknames_.find(room);
        if (entry != nicknames_.end() && entry->second.erase(member) && entry->second.empty())
            nicknames_.erase(entry);
    } else if (nicknames_[room].size() < 10000 || nicknames_[room].count(member)) {
        nicknames_[room][member] = nickname;
    }
}

void ConferenceFocus::markChanged(const std::string& room) {
    std::lock_guard lock(changedMutex_);
    changed_.insert(room);
}

void ConferenceFocus::watch(const std::string& room) {
    auto current = hub::Hub::instance().open(room);
    auto& entry = watches_[room];
    if (entry.room == current)
        return;
    entry.room = current;
    entry.listener = std::make_shared<Watcher>(*this, room);
    entry.subscription = current->subscribe(entry.listener);
}

void ConferenceFocus::unwatchIfUnused(const std::string& room) {
    for (const auto& [handle, call] : calls_) {
        if (call.room == room)
            return;
    }
    for (const auto& [handle, subscription] : subscriptions_) {
        if (subscription.room == room)
            return;
    }
    if (watches_.erase(room))
        hub::Hub::instance().closeIfIdle(room);  // the mixer closed its room while we still watched it
}

void ConferenceFocus::onSubscribe(nua_handle_s* handle, const sip_s* sip) {
    if (!sip || !sip->sip_event || !sip->sip_event->o_type || std::string(sip->sip_event->o_type) != "conference") {
        stack_.refuse(handle, 489, sip_489_Bad_event, "rooms take Event: conference");  // presence is for XMPP users
        return;
    }
    if (!subscriptions_.count(handle) && !admitCaller(handle, sip))
        return;  // a room's roster is for those who may call it
    std::string room = requestUser(sip);
    if (room.empty()) {
        stack_.refuse(handle, 404, sip_404_Not_found, "subscribe to a room: sip:room@host");
        return;
    }
    bool ending = sip && sip->sip_expires && sip->sip_expires->ex_delta == 0;
    auto& subscription = subscriptions_.try_emplace(handle, ConferenceSubscription{room, 0}).first->second;
    subscription.ending = ending;
    if (!ending)
        watch(room);
    // Our Contact in the room's name, plain sip: (Sofia would otherwise pick its sips: one).
    nua_respond(handle, ending ? 200 : 202, ending ? sip_200_OK : sip_202_Accepted, NUTAG_WITH_THIS(stack_.nua()),
                SIPTAG_CONTACT_STR(roomContact(room).c_str()), TAG_END());
    // The NOTIFY goes out on the next tick, after Sofia has sent the 202 that this callback
    // queues: a NOTIFY ahead of its 202 confuses subscribers (sipp among them).
    markChanged(room);
}

void ConferenceFocus::notify(nua_handle_s* handle, ConferenceSubscription& subscription, bool terminate) {
    std::vector<ConferenceUser> users;
    std::map<std::string, std::string> nicknames;
    {
        std::lock_guard lock(changedMutex_);
        if (auto entry = nicknames_.find(subscription.room); entry != nicknames_.end())
            nicknames = entry->second;
    }
    if (auto room = hub::Hub::instance().find(subscription.room)) {
        for (const auto& member : room->members()) {
            ConferenceUser user;
            // A nickname set with MSRP NICKNAME is how the room knows the participant
            // (SylkServer shows it as the display text).
            auto nickname = nicknames.find(member.id);
            user.display = nickname != nicknames.end() ? nickname->second : member.display;
            user.entity = member.uri.empty() ? memberUri(member.id) : member.uri;
            // The msrp plugin's members are in the room by chat alone (a chat-only call).
            const bool chatOnly = member.plugin == kMsrpPackage;
            bool chat = chatOnly;
            for (const auto& [callHandle, call] : calls_) {
                if (call.memberId == member.id && !call.uri.empty())
                    user.entity = call.uri;  // a phone: its own SIP address
                if (call.memberId == member.id && !call.chatSession.empty())
                    chat = true;
            }
            if (!chatOnly)
                user.media = {"audio"};
            if (member.plugin.find("videoroom") != std::string::npos)
                user.media.push_back("video");
            if (chat)
                user.media.push_back("message");
            // RFC 4575: muted by the focus is an endpoint status; muted by oneself leaves the
            // audio recvonly; hold is its own status.
            if (member.onHold)
                user.status = "on-hold";
            else if (member.mutedByModerator)
                user.status = "muted-via-focus";
            user.audioMuted = member.muted;
            users.push_back(std::move(user));
        }
    }
    std::vector<ConferenceFile> files;
    for (const auto& file : files::FileStore::instance().list(subscription.room))
        files.push_back(ConferenceFile{file.name, file.sha1, file.size, file.senderDisplay.empty() ? file.sender : file.senderDisplay});
    std::string entity = "sip:" + subscription.room + "@" + stack_.hostPort();
    std::string xml = conferenceInfoXml(entity, subscription.room, ++subscription.version, users, files);
    nua_notify(handle, NUTAG_SUBSTATE(terminate ? nua_substate_terminated : nua_substate_active),
               SIPTAG_EVENT_STR("conference"),
               SIPTAG_CONTENT_TYPE_STR("application/conference-info+xml"), SIPTAG_PAYLOAD_STR(xml.c_str()), TAG_END());
}

}  // namespace sylk::sip
