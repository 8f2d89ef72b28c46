#include "room_bridge.hpp"

#include <algorithm>

#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/irc/nicks.hpp"
#include "sylkcore/irc/text_lines.hpp"
#include "sylkcore/log.hpp"

namespace sylk::irc {
namespace {

constexpr char kLog[] = "irc";

// A nick as the user part of a SIP URI (RFC 3261 user: unreserved and some marks; IRC nicks
// may hold []\`^{|}, which are escaped).
std::string sipUser(const std::string& nick) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string user;
    for (unsigned char c : nick) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '\'')
            user += static_cast<char>(c);
        else {
            user += '%';
            user += kHex[c >> 4];
            user += kHex[c & 15];
        }
    }
    return user;
}

}  // namespace

RoomBridge::RoomBridge(net::StackThread& thread, BridgeSettings settings, size_t index)
    : thread_(thread), settings_(std::move(settings)), index_(index), quietSinceMs_(hub::nowMs()) {}

RoomBridge::~RoomBridge() { end(); }

void RoomBridge::check() {
    auto room = hub::Hub::instance().find(settings_.room);
    if (room_) {
        if (room != room_ || !othersPresent())
            end();
        return;
    }
    if (room) {
        for (const auto& member : room->members()) {
            if (member.plugin != kPackage) {
                begin(std::move(room));
                return;
            }
        }
    }
    quietSinceMs_ = hub::nowMs();  // nobody to chat yet: what the room says from now on is for IRC
}

bool RoomBridge::othersPresent() const {
    for (const auto& member : room_->members())
        if (member.plugin != kPackage)
            return true;
    return false;
}

void RoomBridge::begin(std::shared_ptr<hub::Room> room) {
    room_ = std::move(room);
    ++sessions_;
    subscription_ = room_->subscribe(shared_from_this());
    std::weak_ptr<RoomBridge> weak = shared_from_this();
    auto on = [weak](auto method) {
        return [weak, method](auto&&... args) {
            if (auto self = weak.lock())
                ((*self).*method)(std::forward<decltype(args)>(args)...);
        };
    };
    ClientEvents events;
    events.inChannel = on(&RoomBridge::inChannel);
    events.userJoined = on(&RoomBridge::userJoined);
    events.userLeft = on(&RoomBridge::userLeft);
    events.nickChanged = on(&RoomBridge::nickChanged);
    events.channelMessage = on(&RoomBridge::channelMessage);
    events.outOfChannel = [weak](const std::string&) {
        if (auto self = weak.lock())
            self->everyoneLeft();
    };
    SYLK_LOG(LOG_INFO, kLog, "room %s started: bridging it to %s on %s:%u", settings_.room.c_str(),
             settings_.client.channel.c_str(), settings_.client.host.c_str(), settings_.client.port);
    client_ = Client::create(thread_, settings_.client, std::move(events));
    client_->start();
    relayEarlyChat();
}

void RoomBridge::relayEarlyChat() {
    // The room was found up to a tick (200 ms) after it started: chat said before we subscribed
    // is in the room's history only. What came after the last tick that saw the room quiet is
    // this session's (older entries are an earlier session's or restored from the archive); the
    // client queues it until the bot is in the channel. Live events already posted to us for
    // the same messages are skipped by sequence (onHubEvent).
    replayedUpTo_ = 0;
    for (const auto& event : room_->history()) {
        if (event.plugin == kPackage)
            continue;
        try {
            if (hub::readChat(event).timestamp < quietSinceMs_)
                continue;
        } catch (const hub::InvalidHubEvent&) {
            continue;  // never kept by the hub
        }
        toChannel(event);
        replayedUpTo_ = std::max(replayedUpTo_, event.sequence);
    }
}

void RoomBridge::end() {
    if (!room_)
        return;
    SYLK_LOG(LOG_INFO, kLog, "room %s ended: %s leaves %s", settings_.room.c_str(), client_->nick().c_str(),
             settings_.client.channel.c_str());
    client_->stop();  // it flushes, QUITs and keeps itself until closed
    client_.reset();
    subscription_.reset();
    everyoneLeft();
    std::string id = room_->id();
    room_.reset();
    hub::Hub::instance().closeIfIdle(id);
}

void RoomBridge::onRoomEvent(const hub::RoomEvent& event) {
    if (event.plugin == kPackage)
        return;  // our own members' joins and chat
    if (event.kind != hub::kind::Chat && event.kind != hub::kind::Left)
        return;  // talking, composing, files...: nothing IRC carries, not worth a post
    std::weak_ptr<RoomBridge> weak = shared_from_this();
    thread_.post([weak, event] {
        if (auto self = weak.lock())
            self->onHubEvent(event);
    });
}

void RoomBridge::onHubEvent(const hub::RoomEvent& event) {
    if (!room_ || event.room != room_->id())
        return;
    if (event.kind == hub::kind::Chat) {
        if (event.sequence > replayedUpTo_)
            toChannel(event);
    }
    else if (event.kind == hub::kind::Left && !othersPresent())
        end();
}

size_t RoomBridge::maxLineBytes() const {
    // "PRIVMSG #channel :" + text + CR LF in 512 bytes, with room for the prefix the server puts
    // before it for the others (":nick!user@host ", up to ~100 bytes).
    size_t overhead = 8 + settings_.client.channel.size() + 2 + 2 + 100;
    return kMaxLineBytes > overhead ? kMaxLineBytes - overhead : 64;
}

void RoomBridge::toChannel(const hub::RoomEvent& event) {
    hub::ChatMessage message;
    try {
        message = hub::readChat(event);
    } catch (const hub::InvalidHubEvent& error) {
        SYLK_LOG(LOG_WARN, kLog, "room %s: %s", settings_.room.c_str(), error.what());
        return;
    }
    if (message.isPrivate() || !client_)
        return;
    std::string text = message.text;
    if (!message.encoding.empty() || message.contentType.rfind("text/", 0) != 0)
        text = "(sent " + message.contentType + ", which IRC cannot show)";
    auto lines = splitText(message.senderName(event) + ": ", text, maxLineBytes());
    if (lines.empty())
        return;
    if (client_->say(lines)) {
        ++toIrc_;
    } else {
        ++refused_;
        SYLK_LOG(LOG_WARN, kLog, "room %s: %zu lines are already waiting for %s; a message from %s is not relayed",
                 settings_.room.c_str(), client_->queued(), settings_.client.channel.c_str(), event.member.c_str());
    }
}

void RoomBridge::inChannel(const std::vector<std::string>& nicks) {
    std::map<std::string, std::string> present;
    for (const auto& nick : nicks)
        present[lowerName(nick)] = nick;
    for (auto it = users_.begin(); it != users_.end();) {
        if (present.count(it->first)) {
            ++it;
            continue;
        }
        room_->leave(it->second.memberId);
        it = users_.erase(it);
    }
    for (const auto& [lower, nick] : present)
        if (!users_.count(lower))
            userJoined(nick);
}

void RoomBridge::userJoined(const std::string& nick) {
    if (!room_)
        return;
    std::string lower = lowerName(nick);
    if (users_.count(lower))
        return;
    IrcUser user{std::string(kPackage) + "/" + std::to_string(index_) + "." + std::to_string(nextMember_++), nick};
    hub::Member member{user.memberId, nick, kPackage};
    member.uri = identity(nick);
    room_->join(member);
    users_.emplace(lower, std::move(user));
}

void RoomBridge::userLeft(const std::string& nick) {
    auto found = users_.find(lowerName(nick));
    if (found == users_.end() || !room_)
        return;
    room_->leave(found->second.memberId);
    users_.erase(found);
}

void RoomBridge::nickChanged(const std::string& from, const std::string& to) {
    auto found = users_.find(lowerName(from));
    if (found == users_.end() || !room_) {
        userJoined(to);
        return;
    }
    IrcUser user = found->second;
    users_.erase(found);
    user.nick = to;
    hub::Member member{user.memberId, to, kPackage};
    member.uri = identity(to);
    room_->join(member);  // the same member, "updated"
    users_[lowerName(to)] = user;
}

void RoomBridge::everyoneLeft() {
    if (room_)
        for (const auto& [lower, user] : users_)
            room_->leave(user.memberId);
    users_.clear();
}

std::string RoomBridge::identity(const std::string& nick) const {
    return "sip:" + sipUser(nick) + "@" + settings_.client.host;
}

void RoomBridge::channelMessage(const std::string& nick, const std::string& text) {
    if (!room_)
        return;
    auto found = users_.find(lowerName(nick));
    // A channel without +n takes messages from outside: they come from no member.
    std::string member = found == users_.end() ? std::string() : found->second.memberId;
    hub::ChatMessage message;
    message.id = hub::newMessageId();
    message.display = nick;
    message.uri = identity(nick);
    message.text = plainText(text);
    if (message.text.empty())
        return;  // formatting only
    message.timestamp = hub::nowMs();
    room_->post(kPackage, member, hub::chat(message));
    ++fromIrc_;
}

Json RoomBridge::status() const {
    Json status = Json::object();
    status.set("room", settings_.room)
        .setBool("active", room_ != nullptr)
        .set("to_irc", static_cast<json_int_t>(toIrc_))
        .set("from_irc", static_cast<json_int_t>(fromIrc_))
        .set("refused", static_cast<json_int_t>(refused_))
        .set("sessions", static_cast<json_int_t>(sessions_))
        .set("irc_users", static_cast<json_int_t>(users_.size()));
    if (client_)
        status.set("client", client_->status());
    else
        status.set("channel", settings_.client.channel).set("server", settings_.client.host);
    return status;
}

}  // namespace sylk::irc
