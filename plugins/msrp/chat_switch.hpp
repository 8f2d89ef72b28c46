// The conference MSRP switch: the MSRP stack (listeners, connections, sessions) and the chat
// rooms with sessions in them. Lives on the plugin's stack thread: construct, call and destroy
// it there (MsrpPlugin runs the hub services there with StackThread::execute).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "chat_room.hpp"
#include "msrp_requests.hpp"
#include "msrp_settings.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/msrp/relay_client.hpp"
#include "sylkcore/msrp/stack.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::msrp_plugin {

class ChatSwitch {
public:
    // Reports to Janus's event handlers ({"event": "opened"|"closed", ...}); any thread.
    using Report = std::function<void(Json event)>;

    ChatSwitch(net::StackThread& thread, const MsrpSettings& settings, Report report);
    ~ChatSwitch();

    // Opens the listeners (throws when they cannot be opened) and starts the relay client.
    void start();

    // msrp.open_session and msrp.close_session (msrp_requests.hpp); RequestError refuses.
    Json open(const OpenSessionRequest& request);
    void close(const std::string& sessionId);

    Json status() const;
    uint16_t port(bool secure) const { return stack_->port(secure); }

private:
    Json openChat(const OpenSessionRequest& request);
    void pruneRooms();

    const MsrpSettings& settings_;
    Report report_;
    std::unique_ptr<msrp::Stack> stack_;
    std::unique_ptr<msrp::RelayClient> relay_;  // when a relay is configured
    std::map<std::string, std::shared_ptr<ChatRoom>> rooms_;  // by hub room name
    // msrp session id -> room name, until msrp.close_session (also for a session that ended by
    // itself: the caller still closes it when its call ends)
    std::map<std::string, std::string> roomOf_;
};

}  // namespace sylk::msrp_plugin
