// A test-only plugin that joins hub rooms and reports every room event to its client. It is
// built twice, as two separate .so files with different package names, to prove that plugins
// built apart share one hub inside one janus (tests/integration/test_hub.py).
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "sylkcore/hub/hub.hpp"
#include "sylkcore/janus/plugin.hpp"

#ifndef HUBPROBE_VARIANT
#error "build with -DHUBPROBE_VARIANT=\"a\" (or \"b\")"
#endif

namespace sylk::hubprobe {

class ProbeSession;

class HubProbePlugin : public janus::Plugin {
public:
    HubProbePlugin();
    // Called by a session's listener on the poster's thread: queue, then push to the client.
    void relayRoomEvent(std::weak_ptr<ProbeSession> session, const hub::RoomEvent& event);
    // A session's room state is only touched on the control loop; a detach hands it over.
    void retire(std::shared_ptr<ProbeSession> session);

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;

private:
    Reply join(ProbeSession& session, RequestReader& reader, const Request& request);
    Reply post(ProbeSession& session, RequestReader& reader, const Request& request);
    Reply postRaw(ProbeSession& session, RequestReader& reader, const Request& request);
    Reply leave(ProbeSession& session, RequestReader& reader, const Request& request);
    Reply hubInfo(ProbeSession& session, RequestReader& reader, const Request& request);
    // Calls a hub service offered by another plugin: {"service", "args"}.
    Reply callService(ProbeSession& session, RequestReader& reader, const Request& request);
    // A Janus API client inside janus (hub::ApiChannel through the loopback transport): creates
    // a session, attaches to {"plugin"}, sends {"body"} to it and answers every reply it got;
    // the channel then closes without detaching or destroying ({"leave_open": true}), which
    // must make janus destroy the session itself.
    Reply apiProbe(ProbeSession& session, RequestReader& reader, const Request& request);
};

class ProbeSession : public janus::PluginSession, public hub::RoomListener,
                     public std::enable_shared_from_this<ProbeSession> {
public:
    ProbeSession(janus::Handle* handle, HubProbePlugin& plugin, std::string memberId)
        : PluginSession(handle), plugin_(plugin), memberId_(std::move(memberId)) {}

    void onRoomEvent(const hub::RoomEvent& event) override { plugin_.relayRoomEvent(weak_from_this(), event); }
    void onDestroy() override { plugin_.retire(shared_from_this()); }
    void leaveRoom();  // control loop only

    const std::string& memberId() const { return memberId_; }
    std::shared_ptr<hub::Room> room;
    std::string display;  // in the room
    hub::Subscription subscription;

private:
    HubProbePlugin& plugin_;
    std::string memberId_;
};

}  // namespace sylk::hubprobe
