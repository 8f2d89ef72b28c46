#include "nats_connection.hpp"

#include <mutex>
#include <stdexcept>

namespace sylk::cluster {

// libnats may call the disconnected/closed callbacks on its own thread after we asked it to
// close, so they must not reach into a NatsConnection that is gone: they go through this
// state, which the destructor detaches and the closed callback (always libnats' last) frees.
struct NatsCallbackState {
    std::mutex mutex;
    NatsConnection::StateListener listener;
};

namespace {

void check(natsStatus status, const char* what) {
    if (status != NATS_OK)
        throw std::runtime_error(std::string("NATS: ") + what + ": " + natsStatus_GetText(status));
}

void tell(void* closure, bool connected) {
    auto* state = static_cast<NatsCallbackState*>(closure);
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->listener)
        state->listener(connected);
}

void detach(NatsCallbackState* state) {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->listener = nullptr;
}

void onConnected(natsConnection*, void* closure) { tell(closure, true); }
void onDisconnected(natsConnection*, void* closure) { tell(closure, false); }
void onClosed(natsConnection*, void* closure) { delete static_cast<NatsCallbackState*>(closure); }

struct OptionsGuard {
    natsOptions* options = nullptr;
    ~OptionsGuard() { natsOptions_Destroy(options); }
};

}  // namespace

NatsConnection::NatsConnection(const Settings& settings, StateListener listener) {
    OptionsGuard guard;
    check(natsOptions_Create(&guard.options), "options");
    natsOptions* options = guard.options;
    check(natsOptions_SetURL(options, settings.url.c_str()), "url");
    if (!settings.name.empty())
        check(natsOptions_SetName(options, settings.name.c_str()), "name");
    check(natsOptions_SetTimeout(options, settings.requestTimeout.count()), "timeout");
    check(natsOptions_SetAllowReconnect(options, true), "reconnect");
    check(natsOptions_SetMaxReconnect(options, -1), "reconnect forever");
    check(natsOptions_SetReconnectWait(options, 200), "reconnect wait");
    check(natsOptions_SetPingInterval(options, settings.pingInterval.count()), "ping interval");
    check(natsOptions_SetMaxPingsOut(options, 2), "pings out");
    // Subscriptions (one per open room on the bus) share libnats's delivery pool instead of a
    // thread each; each keeps its order (one worker per subscription).
    check(natsOptions_UseGlobalMessageDelivery(options, true), "global message delivery");

    callbacks_ = new NatsCallbackState{{}, std::move(listener)};
    try {
        check(natsOptions_SetClosedCB(options, onClosed, callbacks_), "closed callback");
        check(natsOptions_SetDisconnectedCB(options, onDisconnected, callbacks_), "disconnected callback");
        check(natsOptions_SetReconnectedCB(options, onConnected, callbacks_), "reconnected callback");
        check(natsOptions_SetRetryOnFailedConnect(options, true, onConnected, callbacks_), "retry connect");
        natsStatus status = natsConnection_Connect(&connection_, options);
        if (status != NATS_NOT_YET_CONNECTED)
            check(status, "connect");
        if (status == NATS_OK)
            tell(callbacks_, true);  // the retry callback only reports a connect made in the background
    } catch (...) {
        delete callbacks_;  // no connection: libnats will never call onClosed
        throw;
    }

    jsOptions jetStreamOptions;
    jsOptions_Init(&jetStreamOptions);
    jetStreamOptions.Wait = settings.requestTimeout.count();
    natsStatus status = natsConnection_JetStream(&jetStream_, connection_, &jetStreamOptions);
    if (status != NATS_OK) {
        detach(callbacks_);
        natsConnection_Destroy(connection_);
        check(status, "JetStream context");
    }
}

NatsConnection::~NatsConnection() {
    detach(callbacks_);
    jsCtx_Destroy(jetStream_);
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
}

}  // namespace sylk::cluster
