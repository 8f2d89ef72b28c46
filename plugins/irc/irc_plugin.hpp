// janus.plugin.sylk.irc: bridges hub rooms to IRC channels (SylkServer's ircconference), one bot
// per configured room, all on the plugin's own net::StackThread ("irc"). Janus handles only ask
// for the bridges' status. docs/irc.md.
#pragma once

#include <memory>
#include <vector>

#include "bridge_settings.hpp"
#include "room_bridge.hpp"
#include "sylkcore/janus/plugin.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::irc {

class IrcHandle;

class IrcPlugin : public janus::Plugin {
public:
    IrcPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;
    bool postToStateThread(std::function<void()> work) override;

private:
    Json bridgesStatus();
    Reply status(IrcHandle& handle, RequestReader& reader, const Request& request);
    Reply adminStatus(RequestReader& reader, const Request& request);

    IrcSettings settings_;
    std::unique_ptr<net::StackThread> thread_;
    std::vector<std::shared_ptr<RoomBridge>> bridges_;  // made, used and dropped on thread_
    net::SourceHandle watch_;                           // the rooms' start and end, on thread_
};

}  // namespace sylk::irc
