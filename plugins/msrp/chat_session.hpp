// One MSRP chat session of a participant in a room: its msrp::Session, who it is (the caller's
// URI, display name, nickname, the hub member its chat is posted as) and its counters. It is
// the session's SessionHandler and hands everything to its ChatRoom. Stack thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sylkcore/json.hpp"
#include "sylkcore/msrp/session.hpp"
#include "sylkcore/msrp/session_handler.hpp"

namespace sylk::msrp_plugin {

class ChatRoom;

struct ChatIdentity {
    std::string uri;       // the caller (SIP From): CPIM From must be this
    std::string display;
    std::string memberId;  // the hub member its chat is posted as
    bool ownsMember = false;  // true: this session joined the roster itself (no audio member)
};

class ChatSession : public msrp::SessionHandler {
public:
    ChatSession(ChatRoom& room, ChatIdentity identity);
    // Closes the msrp session (no more callbacks).
    ~ChatSession() override;
    ChatSession(const ChatSession&) = delete;
    ChatSession& operator=(const ChatSession&) = delete;

    void attach(std::shared_ptr<msrp::Session> session) { session_ = std::move(session); }
    msrp::Session& msrp() { return *session_; }
    const std::string& id() const { return session_->id(); }
    const ChatIdentity& identity() const { return identity_; }
    // The nickname if it took one, else the display name.
    std::string shownName() const { return nickname_.empty() ? identity_.display : nickname_; }
    void setNickname(std::string nickname) { nickname_ = std::move(nickname); }
    void setMemberId(std::string memberId) { identity_.memberId = std::move(memberId); }

    // Queues a message to the peer unless it stopped reading: then the message is dropped and
    // counted, and the first drop of a stall is logged. True if queued.
    bool deliver(const std::string& contentType, const std::string& body);

    Json status() const;

    // msrp::SessionHandler
    void onBound(msrp::Session& session) override;
    void onMessage(msrp::Session& session, msrp::IncomingMessage message) override;
    int admit(msrp::Session& session, const msrp::Message& firstChunk) override;
    int onRequest(msrp::Session& session, const msrp::Message& request) override;
    void onDrained(msrp::Session& session) override;
    void onClosed(msrp::Session& session, const std::string& reason) override;

    uint64_t received = 0;   // messages taken from the peer and posted
    uint64_t refused = 0;    // messages from the peer refused (forged, wrong type, malformed)
    uint64_t sent = 0;       // messages queued to the peer
    uint64_t dropped = 0;    // messages to the peer dropped because it was not reading
    // The room's last event when its history was replayed here: a public chat numbered at or
    // below it reached this session in the replay (it was posted before the session opened).
    uint64_t historyThrough = 0;

private:
    ChatRoom& room_;
    ChatIdentity identity_;
    std::string nickname_;
    std::shared_ptr<msrp::Session> session_;
    bool stalled_ = false;   // dropping since the queue filled; logged once per stall
};

}  // namespace sylk::msrp_plugin
