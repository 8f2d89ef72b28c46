#include "plugin.hpp"

#include <chrono>
#include <future>

#include "../hub/hub.hpp"
#include "../log.hpp"

namespace sylk::janus {

Plugin::Plugin(const PluginInfo& info) : info_(info), loop_(info.package) {}

Plugin::~Plugin() = default;

int Plugin::init(janus_callbacks* gateway, const char* configFolder) {
    if (!gateway)
        return -1;
    gateway_ = gateway;
    PluginConfig config(configFolder, info_.package);
    maxRequestBytes_ = static_cast<size_t>(config.getInt("max_request_bytes", kDefaultMaxRequestBytes, 1024, 16 * 1024 * 1024));
    events_.bind(gateway, table_, config.getBool("events", true));
    admin_.add("info", Execution::Inline, [this](Plugin&, RequestReader&, const Request&) {
        Json body = Json::object();
        body.set(info_.eventKey, "info")
            .set("package", info_.package)
            .set("version", info_.versionString)
            .set("sessions", static_cast<json_int_t>(sessionCount()))
            .set("uptime_s", static_cast<json_int_t>(uptimeSeconds()))
            .set("hub_instance", hub::Hub::instance().instanceId())
            .set("hub_rooms", static_cast<json_int_t>(hub::Hub::instance().roomCount()));
        return Reply{body, {}};
    });
    configure(config);
    startedUs_ = g_get_monotonic_time();
    loop_.start();
    initialized_ = true;
    SYLK_LOG(LOG_INFO, info_.package, "%s initialized (%s)", info_.name,
             config.loaded() ? config.path().c_str() : "no configuration file, defaults");
    return 0;
}

void Plugin::destroy() {
    if (!initialized_.exchange(false))
        return;
    stopping_ = true;
    loop_.stop();
    onShutdown();
    std::lock_guard lock(sessionsMutex_);
    for (auto& [handle, session] : sessions_) {
        session->markDestroyed();
        handle->plugin_handle = nullptr;
    }
    sessions_.clear();
    SYLK_LOG(LOG_INFO, info_.package, "%s destroyed", info_.name);
}

int64_t Plugin::uptimeSeconds() const { return (g_get_monotonic_time() - startedUs_) / G_USEC_PER_SEC; }

size_t Plugin::sessionCount() const {
    std::lock_guard lock(sessionsMutex_);
    return sessions_.size();
}

std::vector<std::shared_ptr<PluginSession>> Plugin::sessions() const {
    std::lock_guard lock(sessionsMutex_);
    std::vector<std::shared_ptr<PluginSession>> list;
    for (const auto& [handle, session] : sessions_)
        list.push_back(session);
    return list;
}

std::shared_ptr<PluginSession> Plugin::findSession(janus_plugin_session* handle) const {
    std::lock_guard lock(sessionsMutex_);
    auto it = sessions_.find(handle);
    return it == sessions_.end() ? nullptr : it->second;
}

PluginSession* Plugin::sessionOf(janus_plugin_session* handle) {
    if (!handle || g_atomic_int_get(&handle->stopped))
        return nullptr;
    auto* session = static_cast<PluginSession*>(handle->plugin_handle);
    return session && !session->stopped() ? session : nullptr;
}

void Plugin::createSession(janus_plugin_session* handle, int* error) {
    if (!initialized_ || stopping_) {
        *error = -1;
        return;
    }
    auto session = newSession(handle);
    // Janus calls the media hooks and destroy_session for a handle on that handle's own loop
    // thread, so the raw pointer in plugin_handle stays valid for the media path until
    // destroy_session; everyone else holds the shared_ptr.
    handle->plugin_handle = session.get();
    std::lock_guard lock(sessionsMutex_);
    sessions_[handle] = std::move(session);
    *error = 0;
}

void Plugin::destroySession(janus_plugin_session* handle, int* error) {
    std::shared_ptr<PluginSession> session;
    {
        std::lock_guard lock(sessionsMutex_);
        auto it = sessions_.find(handle);
        if (it == sessions_.end()) {
            *error = -2;
            return;
        }
        session = std::move(it->second);
        sessions_.erase(it);
    }
    session->markDestroyed();
    handle->plugin_handle = nullptr;
    session->onDestroy();
    *error = 0;
    // Queued requests may still hold the session; it goes when the last of them is done.
}

json_t* Plugin::querySession(janus_plugin_session* handle) {
    auto session = findSession(handle);
    if (!session)
        return nullptr;
    // Janus calls query_session holding the handle's mutex, and the state thread may be waiting
    // for that mutex (push_event with a jsep takes it): wait a bounded time, never for good. The
    // task holds everything it touches, so it may run after we gave up.
    auto described = std::make_shared<std::promise<Json>>();
    std::future<Json> answer = described->get_future();
    bool posted = postToStateThread([session, described] {
        try {
            described->set_value(session->describe());
        } catch (...) {
            described->set_exception(std::current_exception());
        }
    });
    Json unavailable = Json::object();
    if (!posted)
        return unavailable.set("error", "plugin is shutting down").release();
    if (answer.wait_for(std::chrono::milliseconds(kDescribeWaitMs)) != std::future_status::ready)
        return unavailable.set("error", "busy: the plugin did not answer in time").release();
    try {
        return answer.get().release();
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, info_.package, "query_session: %s", e.what());
        return unavailable.set("error", "the plugin could not describe this handle").release();
    }
}

void Plugin::pushEvent(const PluginSession& session, const std::string& transaction, const Json& event,
                       const Json& jsep) const {
    if (session.stopped())
        return;
    pushEventTo(session.handle(), transaction, event, jsep);
}

void Plugin::pushEventTo(janus_plugin_session* handle, const std::string& transaction, const Json& event,
                         const Json& jsep) const {
    if (!handle || g_atomic_int_get(&handle->stopped) || !gateway_)
        return;
    // push_event takes its own references to event and jsep.
    int result = gateway_->push_event(handle, table_, transaction.empty() ? nullptr : transaction.c_str(), event.get(),
                                      jsep.get());
    // Janus refuses events for sessions it is tearing down (458, -2): routine when many leave at
    // once, so not a warning.
    if (result != 0)
        SYLK_LOG(LOG_VERB, info_.package, "push_event refused (%d)", result);
}

janus_plugin_result* Plugin::handleMessage(janus_plugin_session* handle, char* transaction, json_t* message,
                                           json_t* jsep) {
    // We own all three; wrap them before anything can throw.
    Request request{transaction ? transaction : "", Json::adopt(message), Json::adopt(jsep)};
    g_free(transaction);
    if (!initialized_ || stopping_)
        return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "plugin is shutting down", nullptr);
    auto session = findSession(handle);
    if (!session || session->stopped())
        return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "no session for this handle", nullptr);
    try {
        checkRequestSize(request.body, maxRequestBytes_);
        std::string verb;
        const auto& route = requests_.route(request.body.get(), &verb);
        if (route.execution == Execution::Inline) {
            Reply reply = requests_.run(route, *session, request);
            if (!reply.body.get())  // the handler pushed its answer as an event itself: Janus acks
                return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, "answered by an event", nullptr);
            return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr, reply.body.release());
        }
        if (route.execution == Execution::LoopSync) {
            Reply reply = runOnLoop([&] { return requests_.run(route, *session, request); });
            return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr, reply.body.release());
        }
        if (!loop_.post([this, &route, session, request]() mutable { runQueued(route, std::move(session), std::move(request)); }))
            throw RequestError(ErrorCode::InternalError, "plugin is shutting down");
        return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, "queued", nullptr);
    } catch (const RequestError& e) {
        SYLK_LOG(LOG_VERB, info_.package, "request refused: %s", e.what());
        return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr, errorEvent(e.code(), e.what()).release());
    }
}

void Plugin::runQueued(const SessionRequests::Route& route, std::shared_ptr<PluginSession> session, Request request) {
    if (session->stopped())
        return;
    try {
        Reply reply = requests_.run(route, *session, request);
        pushEvent(*session, request.transaction, reply.body, reply.jsep);
    } catch (const RequestError& e) {
        SYLK_LOG(LOG_VERB, info_.package, "request refused: %s", e.what());
        pushEvent(*session, request.transaction, errorEvent(e.code(), e.what()));
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, info_.package, "request failed: %s", e.what());
        pushEvent(*session, request.transaction, errorEvent(ErrorCode::InternalError, "internal error"));
    }
}

Reply Plugin::runOnLoop(const std::function<Reply()>& work) {
    auto promise = std::make_shared<std::promise<Reply>>();
    std::future<Reply> future = promise->get_future();
    bool queued = loop_.post([promise, &work] {
        try {
            promise->set_value(work());
        } catch (...) {
            promise->set_exception(std::current_exception());
        }
    });
    if (!queued)
        throw RequestError(ErrorCode::InternalError, "plugin is shutting down");
    // The task refers to work, which lives on this stack: wait for it whatever happens.
    return future.get();
}

json_t* Plugin::handleAdminMessage(json_t* message) {
    Request request{"", Json::borrow(message), Json()};
    try {
        checkRequestSize(request.body, maxRequestBytes_);
        const auto& route = admin_.route(request.body.get());
        if (route.execution == Execution::LoopSync)
            return runOnLoop([&] { return admin_.run(route, *this, request); }).body.release();
        return admin_.run(route, *this, request).body.release();
    } catch (const RequestError& e) {
        return errorEvent(e.code(), e.what()).release();
    }
}

}  // namespace sylk::janus
