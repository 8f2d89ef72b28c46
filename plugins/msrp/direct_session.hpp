// A 1:1 MSRP chat session ("mode": "direct" in msrp.open_session): no conference switch, no
// roster. Everything the peer SENDs is posted, as it came (content type and body, usually a
// CPIM document), as a hub `direct` event into the session's private hub room, where the plugin
// that serves the user (the SIP gateway for a web user) listens; every `direct` event another
// plugin posts there is SENT to the peer as it is. IM semantics (CPIM, IMDN, is-composing) stay
// with the user's side, which already speaks them for SIP MESSAGE. Stack thread only, but for
// onRoomEvent (any thread), which posts to the stack thread. Opened with hold_answer, the SEND's
// final 200 waits for the user's side's `direct-ack` (it journals the message first).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sylkcore/hub/room.hpp"
#include "sylkcore/hub/subscription.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/msrp/session.hpp"
#include "sylkcore/msrp/session_handler.hpp"
#include "sylkcore/msrp/stack.hpp"

namespace sylk::msrp_plugin {

class DirectSession : public msrp::SessionHandler, public hub::RoomListener,
                      public std::enable_shared_from_this<DirectSession> {
public:
    DirectSession(msrp::Stack& stack, std::string room, std::string uri, size_t maxMessageBytes);
    // Closes the msrp session and stops listening to the room.
    ~DirectSession() override;
    DirectSession(const DirectSession&) = delete;
    DirectSession& operator=(const DirectSession&) = delete;

    // Makes the msrp session (its local URI known at once) and subscribes to the room.
    // Throws std::invalid_argument when the stack refuses the setup.
    void open(msrp::SessionSetup setup);
    const std::string& id() const { return session_->id(); }
    const std::string& room() const { return room_; }
    const msrp::Session& msrp() const { return *session_; }
    Json status() const;
    // The peer's path, for a session opened without one (we offered); false if it had one.
    bool setRemote(std::vector<msrp::Uri> path, bool active, const std::string& fingerprint) {
        return session_->setRemote(std::move(path), active ? msrp::Role::Active : msrp::Role::Passive, fingerprint);
    }

    // msrp::SessionHandler
    void onMessage(msrp::Session& session, msrp::IncomingMessage message) override;
    void onClosed(msrp::Session& session, const std::string& reason) override;
    // hub::RoomListener
    void onRoomEvent(const hub::RoomEvent& event) override;

    static constexpr const char* kPrefix = "direct/";  // the rooms of direct sessions

private:
    void toPeer(const hub::RoomEvent& event);
    // A direct-ack from the user's side: the held answer to the peer's SEND goes out.
    void answerSender(const hub::RoomEvent& event);

    msrp::Stack& stack_;
    const std::string room_;
    const std::string uri_;
    const size_t maxMessageBytes_;
    std::shared_ptr<msrp::Session> session_;
    std::shared_ptr<hub::Room> hubRoom_;
    hub::Subscription subscription_;
    uint64_t received_ = 0;  // from the peer, posted
    uint64_t refused_ = 0;   // from the peer, not posted (not UTF-8)
    uint64_t sent_ = 0;      // to the peer
    uint64_t dropped_ = 0;   // to the peer, dropped (closed, or not reading)
};

}  // namespace sylk::msrp_plugin
