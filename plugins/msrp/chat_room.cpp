#include "chat_room.hpp"

#include "chat_content.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/msrp/file_selector.hpp"

namespace sylk::msrp_plugin {
namespace {

constexpr char kCpim[] = "message/cpim";
constexpr char kIsComposing[] = "application/im-iscomposing+xml";

// RFC 7701 §4: Use-Nickname carries a quoted string.
std::optional<std::string> unquoted(const std::string& value) {
    size_t begin = value.find_first_not_of(" \t");
    size_t end = value.find_last_not_of(" \t");
    if (begin == std::string::npos || end <= begin || value[begin] != '"' || value[end] != '"')
        return std::nullopt;
    std::string text;
    for (size_t i = begin + 1; i < end; ++i) {
        if (value[i] == '\\') {
            if (++i >= end)
                return std::nullopt;
        } else if (value[i] == '"') {
            return std::nullopt;
        }
        text += value[i];
    }
    return text;
}

}  // namespace

ChatRoom::ChatRoom(std::string name, const MsrpSettings& settings, msrp::Stack& stack)
    : name_(std::move(name)), settings_(settings), stack_(stack) {}

ChatRoom::~ChatRoom() {
    subscription_.reset();
    sessions_.clear();
    if (hubRoom_) {
        hubRoom_.reset();
        hub::Hub::instance().closeIfIdle(name_);
    }
}

void ChatRoom::start() {
    hubRoom_ = hub::Hub::instance().open(name_);
    hubRoom_->keepHistory(settings_.historyLength);
    // Who is in the room already and which nicknames they hold is learnt from here on; a
    // nickname taken before this plugin listened is not known (nicknames are new with MSRP).
    subscription_ = hubRoom_->subscribe(shared_from_this());
}

std::string ChatRoom::roomUri() const { return name_.find(':') == std::string::npos ? "sip:" + name_ : name_; }

ChatSession& ChatRoom::open(msrp::SessionSetup setup, ChatIdentity identity) {
    auto chat = std::make_unique<ChatSession>(*this, std::move(identity));
    chat->attach(stack_.createSession(std::move(setup), *chat));
    if (chat->identity().ownsMember)  // in the roster as itself: named by its msrp session id
        chat->setMemberId(std::string(kPackage) + "/" + chat->id());
    ChatSession& session = *chat;
    sessions_[session.id()] = std::move(chat);
    const ChatIdentity& who = session.identity();
    welcome(session);
    if (who.ownsMember)
        hubRoom_->join(hub::Member{who.memberId, who.display, kPackage});
    SYLK_LOG(LOG_INFO, kPackage, "room %s: session %s opened for %s as %s", name_.c_str(), session.id().c_str(),
             who.uri.c_str(), who.memberId.c_str());
    return session;
}

ChatSession* ChatRoom::find(const std::string& sessionId) {
    auto it = sessions_.find(sessionId);
    return it == sessions_.end() ? nullptr : it->second.get();
}

bool ChatRoom::close(const std::string& sessionId) {
    auto it = sessions_.find(sessionId);
    if (it == sessions_.end())
        return false;
    std::unique_ptr<ChatSession> session = std::move(it->second);
    sessions_.erase(it);
    const ChatIdentity& who = session->identity();
    bool memberStays = false;
    for (const auto& [id, other] : sessions_)
        memberStays = memberStays || other->identity().memberId == who.memberId;
    if (!memberStays) {
        nicknames_.forget(who.memberId);
        if (who.ownsMember)
            hubRoom_->leave(who.memberId);
    }
    SYLK_LOG(LOG_INFO, kPackage, "room %s: session %s closed (%llu in, %llu out, %llu dropped)", name_.c_str(),
             sessionId.c_str(), static_cast<unsigned long long>(session->received),
             static_cast<unsigned long long>(session->sent), static_cast<unsigned long long>(session->dropped));
    return true;  // session's destructor closes the msrp session
}

void ChatRoom::sessionClosed(ChatSession& session, const std::string& reason) {
    SYLK_LOG(LOG_INFO, kPackage, "room %s: session %s ended: %s", name_.c_str(), session.id().c_str(), reason.c_str());
    // Not destroyed inside the stack's callback: on the next turn of the loop.
    std::weak_ptr<ChatRoom> weak = weak_from_this();
    std::string id = session.id();
    stack_.thread().post([weak, id] {
        if (auto room = weak.lock())
            room->close(id);
    });
}

// ------------------------------------------------------------------ from the sessions

std::string ChatRoom::resolveRecipient(const std::string& uri) const {
    std::string who = address::identity(uri);
    for (const auto& [id, session] : sessions_) {
        if (address::identity(session->identity().uri) == who)
            return session->identity().memberId;
    }
    for (const auto& member : hubRoom_->members()) {
        if (address::identity(address::memberUri(member.id)) == who || member.id == uri)
            return member.id;
    }
    return "";
}

int ChatRoom::admit(ChatSession& session, const msrp::Message& onlyChunk) {
    const ChatIdentity& who = session.identity();
    IncomingChat chat = readIncoming(onlyChunk.header("Content-Type").value_or(""), onlyChunk.body,
                                     {who.uri, name_, settings_.maxMessageBytes});
    if (chat.kind != IncomingChat::Kind::Refused)
        return 200;
    ++session.refused;
    SYLK_LOG(LOG_WARN, kPackage, "room %s: session %s: message %s refused (%d): %s", name_.c_str(), session.id().c_str(),
             onlyChunk.messageId().c_str(), chat.status, chat.reason.c_str());
    return chat.status;
}

int ChatRoom::admitFirstChunk(ChatSession& session, const msrp::Message& firstChunk) {
    const ChatIdentity& who = session.identity();
    int status = judgeFirstChunk(firstChunk.header("Content-Type").value_or(""), firstChunk.body,
                                 {who.uri, name_, settings_.maxMessageBytes});
    if (status != 200) {
        ++session.refused;
        SYLK_LOG(LOG_WARN, kPackage, "room %s: session %s: message %s refused on its first chunk (%d): the CPIM From is not %s",
                 name_.c_str(), session.id().c_str(), firstChunk.messageId().c_str(), status, who.uri.c_str());
    }
    return status;
}

void ChatRoom::fromSession(ChatSession& session, const msrp::IncomingMessage& message) {
    const ChatIdentity& who = session.identity();
    IncomingChat chat = readIncoming(message.contentType, message.body, {who.uri, name_, settings_.maxMessageBytes});
    if (chat.kind == IncomingChat::Kind::Refused) {
        ++session.refused;
        SYLK_LOG(LOG_WARN, kPackage, "room %s: session %s: message %s dropped (%d): %s", name_.c_str(), session.id().c_str(),
                 message.messageId.c_str(), chat.status, chat.reason.c_str());
        // Its chunks were answered 200 before it could be judged whole: the sender hears why here.
        notice(session, "Your message was not delivered (" + std::to_string(chat.status) + "): " + chat.reason);
        return;
    }
    std::string to;
    if (!chat.recipient.empty()) {
        to = resolveRecipient(chat.recipient);
        if (to.empty()) {
            ++session.refused;
            notice(session, "No participant " + chat.recipient + " in the room: your private message was not delivered");
            return;
        }
    }
    if (chat.kind == IncomingChat::Kind::Composing) {
        hub::ComposingState state;
        state.display = session.shownName();
        state.active = chat.active;
        state.to = to;
        hubRoom_->post(kPackage, who.memberId, hub::composing(state));
        return;
    }
    hub::ChatMessage out;
    out.id = hub::newMessageId();
    out.display = session.shownName();
    out.uri = who.uri;
    out.contentType = chat.contentType;
    out.text = std::move(chat.text);
    out.encoding = chat.encoding;
    out.timestamp = hub::nowMs();
    out.to = to;
    ++session.received;
    origins_[out.id] = session.id();  // not sent back to the session it came from
    hubRoom_->post(kPackage, who.memberId, hub::chat(out));
}

int ChatRoom::nicknameRequest(ChatSession& session, const msrp::Message& request) {
    auto value = request.header("Use-Nickname");
    auto nickname = value ? unquoted(*value) : std::nullopt;
    if (!nickname || !NicknameRegistry::invalidReason(*nickname).empty())
        return 400;
    const std::string& member = session.identity().memberId;
    if (!nicknames_.claim(member, *nickname)) {
        SYLK_LOG(LOG_INFO, kPackage, "room %s: session %s: nickname taken", name_.c_str(), session.id().c_str());
        return 425;
    }
    for (auto& [id, other] : sessions_) {
        if (other->identity().memberId == member)
            other->setNickname(*nickname);
    }
    hubRoom_->post(kPackage, member, hub::nickname(hub::NicknameChange{*nickname}));
    return 200;
}

// ------------------------------------------------------------------ from the hub

void ChatRoom::onRoomEvent(const hub::RoomEvent& event) {
    // On the poster's thread: to the stack thread, where the sessions are.
    std::weak_ptr<ChatRoom> weak = weak_from_this();
    stack_.thread().post([weak, event] {
        if (auto room = weak.lock())
            room->handle(event);
    });
}

void ChatRoom::handle(const hub::RoomEvent& event) {
    try {
        if (event.kind == hub::kind::Chat)
            deliverChat(event);
        else if (event.kind == hub::kind::Composing)
            deliverComposing(event);
        else if (event.kind == hub::kind::Joined || event.kind == hub::kind::Left)
            announce(event);
        else if (event.kind == hub::kind::FileShared)
            announceFile(event);
        else if (event.kind == hub::kind::Nickname && event.plugin != kPackage)
            nicknames_.record(event.member, hub::readNickname(event).nickname);
    } catch (const hub::InvalidHubEvent& e) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: dropped %s", name_.c_str(), e.what());
    }
}

std::string ChatRoom::senderName(const hub::RoomEvent& event, const std::string& fallback) const {
    std::string nickname = nicknames_.of(event.member);
    return nickname.empty() ? fallback : nickname;
}

std::string ChatRoom::cpimFor(const hub::RoomEvent& event, const hub::ChatMessage& chat, const ChatSession& to,
                              const std::string& body) const {
    OutgoingCpim cpim;
    cpim.fromDisplay = senderName(event, chat.senderName(event));
    cpim.fromUri = chat.uri.empty() ? address::memberUri(event.member) : chat.uri;
    cpim.toUri = chat.isPrivate() ? to.identity().uri : roomUri();
    cpim.dateTime = dateTimeOf(chat.timestamp);
    cpim.contentType = chat.contentType;
    cpim.body = body;
    return cpimDocument(cpim);
}

void ChatRoom::deliverChat(const hub::RoomEvent& event) {
    hub::ChatMessage chat = hub::readChat(event);
    std::string origin;
    if (auto it = origins_.find(chat.id); it != origins_.end()) {
        origin = it->second;
        origins_.erase(it);
    }
    auto body = decodedBody(chat.text, chat.encoding);
    if (!body)
        return;
    std::string shared;  // a public message's CPIM is the same for every session: written once
    for (auto& [id, session] : sessions_) {
        if (id == origin || (!chat.isPrivate() && event.sequence <= session->historyThrough))
            continue;  // its own, or replayed to it on joining (posted before, delivered after)
        const std::string& member = session->identity().memberId;
        // Private: the recipient's sessions and the sender's other sessions.
        if (chat.isPrivate() && member != chat.to && member != event.member)
            continue;
        if (chat.isPrivate()) {
            session->deliver(kCpim, cpimFor(event, chat, *session, *body));
            continue;
        }
        if (shared.empty())
            shared = cpimFor(event, chat, *session, *body);
        session->deliver(kCpim, shared);
    }
}

void ChatRoom::deliverComposing(const hub::RoomEvent& event) {
    hub::ComposingState state = hub::readComposing(event);
    for (auto& [id, session] : sessions_) {
        const std::string& member = session->identity().memberId;
        if (member == event.member || (state.isPrivate() && member != state.to))
            continue;
        OutgoingCpim cpim;
        cpim.fromDisplay = senderName(event, state.display);
        cpim.fromUri = address::memberUri(event.member);
        for (const auto& [otherId, other] : sessions_) {
            if (other->identity().memberId == event.member)
                cpim.fromUri = other->identity().uri;
        }
        cpim.toUri = state.isPrivate() ? session->identity().uri : roomUri();
        cpim.dateTime = dateTimeOf(hub::nowMs());
        cpim.contentType = kIsComposing;
        cpim.body = isComposingXml(state.active);
        session->deliver(kCpim, cpimDocument(cpim));
    }
}

void ChatRoom::announce(const hub::RoomEvent& event) {
    hub::Member member = hub::readMember(event);
    if (event.kind == hub::kind::Left)
        nicknames_.forget(member.id);
    std::string name = member.display.empty() ? member.id : member.display;
    std::string text = name + (event.kind == hub::kind::Joined ? " has joined the room" : " has left the room");
    for (auto& [id, session] : sessions_) {
        if (session->identity().memberId != member.id)
            notice(*session, text);
    }
}

void ChatRoom::announceFile(const hub::RoomEvent& event) {
    hub::FileNotice file = hub::readFileShared(event);
    std::string text = senderName(event, file.display.empty() ? event.member : file.display) + " has shared the file " +
                       file.name + " (" + std::to_string(file.size) + " bytes)";
    if (auto hash = msrp::FileHash::sha1FromPlainHex(file.sha1))
        text += ", sha-1 " + hash->colonHex();
    for (auto& [id, session] : sessions_)
        notice(*session, text);
}

void ChatRoom::notice(ChatSession& session, const std::string& text) {
    OutgoingCpim cpim;
    cpim.fromUri = roomUri();
    cpim.toUri = session.identity().uri;
    cpim.dateTime = dateTimeOf(hub::nowMs());
    cpim.contentType = "text/plain";
    cpim.body = text;
    cpim.status = true;
    session.deliver(kCpim, cpimDocument(cpim));
}

void ChatRoom::welcome(ChatSession& session) {
    // SylkServer's order: the welcome, then the room's last messages as they were sent.
    size_t others = 0;
    for (const auto& member : hubRoom_->members())
        others += member.id != session.identity().memberId ? 1 : 0;
    notice(session, settings_.welcome + " " + name_ + " (" + std::to_string(others) +
                        (others == 1 ? " other participant)" : " other participants)"));
    hub::Room::HistorySnapshot history = hubRoom_->historySnapshot(settings_.historyLength);
    session.historyThrough = history.through;
    for (const auto& event : history.events) {
        try {
            hub::ChatMessage chat = hub::readChat(event);
            if (auto body = decodedBody(chat.text, chat.encoding))
                session.deliver(kCpim, cpimFor(event, chat, session, *body));
        } catch (const hub::InvalidHubEvent&) {
            // never kept by the hub
        }
    }
}

Json ChatRoom::status() const {
    Json list = Json::array();
    for (const auto& [id, session] : sessions_)
        list.append(session->status());
    Json json = Json::object();
    json.set("room", name_).set("sessions", list).set("nicknames", static_cast<json_int_t>(nicknames_.size()));
    return json;
}

}  // namespace sylk::msrp_plugin
