// janus.transport.sylk.loopback: the Janus API inside the janus process. Plugins that want
// what janus core gives a browser (ICE, DTLS-SRTP, a handle on another plugin) are Janus API
// clients through it: a channel of hub::ApiLoopback is one janus_transport_session; requests go
// to janus core with incoming_request, exactly as a WebSocket client's would, and what janus
// sends back (send_message) is delivered to the channel's listener. No socket, no port.
// docs/decisions.md "Jingle media through janus core".
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "sylkcore/hub/api_loopback.hpp"
#include "sylkcore/janus/guard.hpp"
#include "sylkcore/janus/janus_headers.hpp"
#include "sylkcore/janus/plugin_config.hpp"
#include "sylkcore/log.hpp"

namespace sylk::loopback {
namespace {

constexpr const char* kPackage = "janus.transport.sylk.loopback";

janus_transport_callbacks* gateway = nullptr;
extern janus_transport table;

// Janus core's api_secret, if it has one: our clients are inside the process, so they present
// it the way a trusted client would (it is read from the file, never logged).
std::string apiSecret;

std::mutex mutex;
std::map<uint64_t, janus_transport_session*> sessions;  // by channel
std::atomic<uint64_t> requestsSent{0};
std::atomic<uint64_t> messagesDelivered{0};

void freeChannelId(void* id) { delete static_cast<uint64_t*>(id); }

void openChannel(uint64_t channel) {
    janus_transport_session* session = janus_transport_session_create(new uint64_t(channel), &freeChannelId);
    std::lock_guard lock(mutex);
    sessions[channel] = session;
}

void sendRequest(uint64_t channel, Json request) {
    janus_transport_session* session = nullptr;
    {
        std::lock_guard lock(mutex);
        auto it = sessions.find(channel);
        if (it == sessions.end())
            return;
        session = it->second;
        janus_refcount_increase(&session->ref);
    }
    if (!apiSecret.empty())
        request.set("apisecret", apiSecret);
    ++requestsSent;
    // Janus takes the message (it frees it when the request is done).
    gateway->incoming_request(&table, session, nullptr, FALSE, request.release(), nullptr);
    janus_refcount_decrease(&session->ref);
}

void closeChannel(uint64_t channel) {
    janus_transport_session* session = nullptr;
    {
        std::lock_guard lock(mutex);
        auto it = sessions.find(channel);
        if (it == sessions.end())
            return;
        session = it->second;
        sessions.erase(it);
    }
    // As the WebSocket transport does when its client goes: janus destroys the Janus sessions
    // made on this transport session (the handles hang up), then the mapping is released.
    gateway->transport_gone(&table, session);
    janus_transport_session_destroy(session);
}

int init(janus_transport_callbacks* callbacks, const char* configFolder) {
    return janus::guard("loopback init", [&] {
        janus::PluginConfig config(configFolder, kPackage);
        if (!config.getBool("enabled", true)) {
            SYLK_LOG(LOG_INFO, "loopback", "in-process Janus API disabled in %s", config.path().c_str());
            return 0;
        }
        gateway = callbacks;
        std::string sylkCore = std::string(configFolder ? configFolder : ".") + "/sylk-janus.jcfg";
        std::string coreConfig = config.getString(
            "core_config", g_file_test(sylkCore.c_str(), G_FILE_TEST_EXISTS) ? "sylk-janus" : "janus");
        janus::PluginConfig core(configFolder, coreConfig.c_str());
        apiSecret = core.getString("general", "api_secret", "");
        if (core.getBool("general", "token_auth", false))
            SYLK_LOG(LOG_WARN, "loopback", "janus core has token_auth on: in-process clients present no token and "
                                           "will be refused (Jingle calls to rooms need it off)");
        hub::ApiLoopback::instance().setCarrier({&openChannel, &sendRequest, &closeChannel});
        SYLK_LOG(LOG_INFO, "loopback", "in-process Janus API ready");
        return 0;
    }, [] { return -1; });
}

void destroy() {
    janus::guard("loopback destroy", [] {
        hub::ApiLoopback::instance().clearCarrier();
        std::map<uint64_t, janus_transport_session*> left;
        {
            std::lock_guard lock(mutex);
            left.swap(sessions);
        }
        for (auto& [channel, session] : left)
            janus_transport_session_destroy(session);
    }, [] {});
}

int apiCompatibility() { return JANUS_TRANSPORT_API_VERSION; }
int version() { return 1; }
const char* versionString() { return "0.1.0"; }
const char* description() { return "Sylk in-process Janus API for other plugins (no socket)."; }
const char* name() { return "Sylk loopback"; }
const char* author() { return "Sylk for Janus"; }
const char* package() { return kPackage; }
gboolean apiEnabled() { return gateway != nullptr; }
gboolean adminEnabled() { return FALSE; }

int sendMessage(janus_transport_session* session, void*, gboolean, json_t* message) {
    Json owned = Json::adopt(message);  // ours to free, whatever happens
    return janus::guard("loopback send_message", [&] {
        if (!session || !session->transport_p)
            return -1;
        uint64_t channel = *static_cast<uint64_t*>(session->transport_p);
        ++messagesDelivered;
        hub::ApiLoopback::instance().deliver(channel, owned);
        return 0;
    }, [] { return -1; });
}

void sessionCreated(janus_transport_session*, guint64) {}
void sessionOver(janus_transport_session*, guint64, gboolean, gboolean) {}
void sessionClaimed(janus_transport_session*, guint64) {}

json_t* queryTransport(json_t*) {
    json_t* info = json_object();
    size_t channels = 0;
    {
        std::lock_guard lock(mutex);
        channels = sessions.size();
    }
    json_object_set_new(info, "channels", json_integer(static_cast<json_int_t>(channels)));
    json_object_set_new(info, "requests_sent", json_integer(static_cast<json_int_t>(requestsSent.load())));
    json_object_set_new(info, "messages_delivered", json_integer(static_cast<json_int_t>(messagesDelivered.load())));
    return info;
}

janus_transport table = {
    .init = &init,
    .destroy = &destroy,
    .get_api_compatibility = &apiCompatibility,
    .get_version = &version,
    .get_version_string = &versionString,
    .get_description = &description,
    .get_name = &name,
    .get_author = &author,
    .get_package = &package,
    .is_janus_api_enabled = &apiEnabled,
    .is_admin_api_enabled = &adminEnabled,
    .send_message = &sendMessage,
    .session_created = &sessionCreated,
    .session_over = &sessionOver,
    .session_claimed = &sessionClaimed,
    .query_transport = &queryTransport,
};

}  // namespace
}  // namespace sylk::loopback

extern "C" __attribute__((visibility("default"))) janus_transport* create(void) { return &sylk::loopback::table; }
