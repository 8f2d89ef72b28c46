// Base class of every Sylk Janus plugin. It implements the janus_plugin entry points once:
// session registry, request size limit, dispatch of requests (inline or on the control loop),
// error replies, admin requests and the exception guard. A plugin adds its sessions, its
// request handlers and its media hooks. plugin_binding.hpp turns a subclass into the C table.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "../control_loop.hpp"
#include "../dispatcher.hpp"
#include "event_notifier.hpp"
#include "gateway.hpp"
#include "janus_headers.hpp"
#include "plugin_config.hpp"
#include "plugin_session.hpp"

namespace sylk::janus {

struct PluginInfo {
    int version;                 // e.g. 1 for 0.0.1; Janus shows it in info
    const char* versionString;
    const char* description;
    const char* name;            // human-readable
    const char* author;
    const char* package;         // janus.plugin.sylk.<name>
    const char* eventKey;        // first member of every event, e.g. "echo": "event"
};

class Plugin {
public:
    static constexpr size_t kDefaultMaxRequestBytes = 64 * 1024;
    static constexpr int kDescribeWaitMs = 500;  // query_session's longest wait for the state thread

    explicit Plugin(const PluginInfo& info);
    virtual ~Plugin();
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    const PluginInfo& info() const { return info_; }

    // --- Called by the C binding (plugin_binding.hpp); never throw. ---
    void bindTable(janus_plugin* table) { table_ = table; }
    int init(janus_callbacks* gateway, const char* configFolder);
    void destroy();
    void createSession(janus_plugin_session* handle, int* error);
    void destroySession(janus_plugin_session* handle, int* error);
    json_t* querySession(janus_plugin_session* handle);
    janus_plugin_result* handleMessage(janus_plugin_session* handle, char* transaction, json_t* message, json_t* jsep);
    json_t* handleAdminMessage(json_t* message);
    // Media hooks: the session pointer Janus keeps in plugin_handle, or nullptr.
    static PluginSession* sessionOf(janus_plugin_session* handle);

protected:
    using SessionRequests = Dispatcher<PluginSession>;
    using AdminRequests = Dispatcher<Plugin>;

    // Reads options (throws std::invalid_argument on a bad value) and registers handlers.
    virtual void configure(const PluginConfig& config) = 0;
    virtual std::shared_ptr<PluginSession> newSession(Handle* handle) = 0;
    virtual void onShutdown() {}
    // query_session runs PluginSession::describe() on the thread that owns the session's state:
    // the control loop by default; a plugin whose state lives elsewhere (SIP) posts it there.
    // False if the work could not be queued.
    virtual bool postToStateThread(std::function<void()> work) { return loop_.post(std::move(work)); }

    // Registers a session request whose handler takes the concrete session type.
    template <class SessionT, class Owner>
    void onRequest(const std::string& verb, Execution execution,
                   Reply (Owner::*method)(SessionT&, RequestReader&, const Request&)) {
        Owner* self = static_cast<Owner*>(this);
        requests_.add(verb, execution, [self, method](PluginSession& session, RequestReader& reader, const Request& request) {
            return (self->*method)(static_cast<SessionT&>(session), reader, request);
        });
    }
    // A body without "request" runs this verb's handler (stock APIs without verbs).
    void onRequestWithoutVerb(const std::string& verb) { requests_.setVerbForBodiesWithout(verb); }
    // Registers an admin request (message_plugin); answered synchronously, Inline or LoopSync.
    template <class Owner>
    void onAdminRequest(const std::string& verb, Reply (Owner::*method)(RequestReader&, const Request&),
                        Execution execution = Execution::Inline) {
        Owner* self = static_cast<Owner*>(this);
        admin_.add(verb, execution, [self, method](Plugin&, RequestReader& reader, const Request& request) {
            return (self->*method)(reader, request);
        });
    }

    // The Janus core, for media out and PeerConnection control (gateway.hpp, media_output.hpp).
    Gateway gateway() const { return Gateway(gateway_); }
    // Janus's event handlers (admin monitoring); see event_notifier.hpp.
    const EventNotifier& events() const { return events_; }
    janus_plugin* table() const { return table_; }
    ControlLoop& loop() { return loop_; }
    size_t maxRequestBytes() const { return maxRequestBytes_; }
    int64_t uptimeSeconds() const;
    size_t sessionCount() const;
    std::vector<std::shared_ptr<PluginSession>> sessions() const;
    bool stopping() const { return stopping_.load(); }

    // Sends an event to the session's client; the transaction ties it to a request.
    void pushEvent(const PluginSession& session, const std::string& transaction, const Json& event,
                   const Json& jsep = Json()) const;
    // The same for a handle we hold a reference on (HandleRef) rather than its session.
    void pushEventTo(janus_plugin_session* handle, const std::string& transaction, const Json& event,
                     const Json& jsep = Json()) const;
    // Runs work on the control loop and waits for its result (rethrowing its exception).
    Reply runOnLoop(const std::function<Reply()>& work);
    Json makeEvent() const { return Json::object().set(info_.eventKey, "event"); }
    Json errorEvent(ErrorCode code, const std::string& message) const { return errorReply(info_.eventKey, code, message); }

private:
    std::shared_ptr<PluginSession> findSession(janus_plugin_session* handle) const;
    void runQueued(const SessionRequests::Route& route, std::shared_ptr<PluginSession> session, Request request);

    const PluginInfo info_;
    janus_plugin* table_ = nullptr;
    janus_callbacks* gateway_ = nullptr;
    std::atomic<bool> initialized_{false};
    std::atomic<bool> stopping_{false};
    size_t maxRequestBytes_ = kDefaultMaxRequestBytes;
    int64_t startedUs_ = 0;
    ControlLoop loop_;
    EventNotifier events_;
    SessionRequests requests_;
    AdminRequests admin_;
    mutable std::mutex sessionsMutex_;
    std::unordered_map<janus_plugin_session*, std::shared_ptr<PluginSession>> sessions_;
};

}  // namespace sylk::janus
