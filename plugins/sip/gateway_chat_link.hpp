// A web user's MSRP chat session as the gateway sees it: the private hub room (direct/...)
// shared with the msrp plugin's direct session, where each side posts `direct` events (the MSRP
// messages, unparsed). The link listens there and hands what the msrp plugin posted to the SIP
// thread; it posts what the web user sends. Made and dropped on the SIP thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/room.hpp"
#include "sylkcore/hub/subscription.hpp"

namespace sylk::sip {

class GatewayChatLink : public hub::RoomListener, public std::enable_shared_from_this<GatewayChatLink> {
public:
    // deliver runs on any thread (the msrp plugin's): it must only post to the SIP thread.
    using Deliver = std::function<void(hub::DirectMessage message)>;

    GatewayChatLink(std::string room, std::string member, Deliver deliver);
    ~GatewayChatLink() override;
    GatewayChatLink(const GatewayChatLink&) = delete;
    GatewayChatLink& operator=(const GatewayChatLink&) = delete;

    // Files stored in the room (the hub's `file` events), for the web user's file room; any
    // thread, like deliver. Set before start().
    using FileListener = std::function<void(hub::FileNotice file)>;
    void onFile(FileListener listener) { fileListener_ = std::move(listener); }
    // The msrp plugin moved the session to a new local path (the hub's `msrp-path` events: a
    // relay refresh); any thread, like deliver. Set before start().
    using PathListener = std::function<void(hub::MsrpPathChange change)>;
    void onPath(PathListener listener) { pathListener_ = std::move(listener); }

    // Opens the hub room and listens to it (before msrp.open_session, so nothing is missed).
    void start();
    const std::string& room() const { return room_; }
    // To the peer: posted for the msrp plugin's session.
    void send(const std::string& contentType, const std::string& body);
    // The answer to a message that came with an ack_id (hold_answer): 200 once stored.
    void ack(const std::string& ackId, int status);

    void onRoomEvent(const hub::RoomEvent& event) override;

private:
    const std::string room_;
    const std::string member_;  // who the gateway posts as (janus.plugin.sylk.sip/<contact user>)
    Deliver deliver_;
    FileListener fileListener_;
    PathListener pathListener_;
    std::shared_ptr<hub::Room> hubRoom_;
    hub::Subscription subscription_;
};

}  // namespace sylk::sip
