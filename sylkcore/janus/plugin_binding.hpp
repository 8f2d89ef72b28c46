// Turns a Plugin subclass into the janus_plugin table Janus loads. Use it once per plugin .so:
//
//     SYLK_JANUS_PLUGIN(sylk::echo::EchoPlugin)
//
// Plugins are compiled with -fvisibility=hidden, so these statics stay private to their .so
// even when two plugins instantiate the same binding; only create() is exported.
#pragma once

#include "guard.hpp"
#include "plugin.hpp"

namespace sylk::janus {

template <class PluginT>
struct PluginBinding {
    static PluginT& plugin() {
        static PluginT instance;
        return instance;
    }

    static int init(janus_callbacks* gateway, const char* configFolder) {
        return guard("init", [&] { plugin().bindTable(&table); return plugin().init(gateway, configFolder); },
                     [] { return -1; });
    }
    static void destroy() { guard("destroy", [] { plugin().destroy(); }, [] {}); }
    static int apiCompatibility() { return JANUS_PLUGIN_API_VERSION; }
    static int version() { return plugin().info().version; }
    static const char* versionString() { return plugin().info().versionString; }
    static const char* description() { return plugin().info().description; }
    static const char* name() { return plugin().info().name; }
    static const char* author() { return plugin().info().author; }
    static const char* package() { return plugin().info().package; }

    static void createSession(janus_plugin_session* handle, int* error) {
        guard("create_session", [&] { plugin().createSession(handle, error); }, [&] { *error = -1; });
    }
    static janus_plugin_result* handleMessage(janus_plugin_session* handle, char* transaction, json_t* message, json_t* jsep) {
        return guard("handle_message", [&] { return plugin().handleMessage(handle, transaction, message, jsep); },
                     [] { return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "internal error", nullptr); });
    }
    static json_t* handleAdminMessage(json_t* message) {
        return guard("handle_admin_message", [&] { return plugin().handleAdminMessage(message); },
                     [] { return static_cast<json_t*>(nullptr); });
    }
    static void setupMedia(janus_plugin_session* handle) {
        guard("setup_media", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onSetupMedia(); }, [] {});
    }
    static void incomingRtp(janus_plugin_session* handle, janus_plugin_rtp* packet) {
        guard("incoming_rtp", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onIncomingRtp(packet); }, [] {});
    }
    static void incomingRtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet) {
        guard("incoming_rtcp", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onIncomingRtcp(packet); }, [] {});
    }
    static void incomingData(janus_plugin_session* handle, janus_plugin_data* packet) {
        guard("incoming_data", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onIncomingData(packet); }, [] {});
    }
    static void dataReady(janus_plugin_session* handle) {
        guard("data_ready", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onDataReady(); }, [] {});
    }
    static void slowLink(janus_plugin_session* handle, int mindex, gboolean video, gboolean uplink) {
        guard("slow_link", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onSlowLink(mindex, video, uplink); }, [] {});
    }
    static void hangupMedia(janus_plugin_session* handle) {
        guard("hangup_media", [&] { if (auto* s = Plugin::sessionOf(handle)) s->onHangupMedia(); }, [] {});
    }
    static void destroySession(janus_plugin_session* handle, int* error) {
        guard("destroy_session", [&] { plugin().destroySession(handle, error); }, [&] { *error = -1; });
    }
    static json_t* querySession(janus_plugin_session* handle) {
        return guard("query_session", [&] { return plugin().querySession(handle); },
                     [] { return static_cast<json_t*>(nullptr); });
    }

    static inline janus_plugin table = {
        .init = &init,
        .destroy = &destroy,
        .get_api_compatibility = &apiCompatibility,
        .get_version = &version,
        .get_version_string = &versionString,
        .get_description = &description,
        .get_name = &name,
        .get_author = &author,
        .get_package = &package,
        .create_session = &createSession,
        .handle_message = &handleMessage,
        .handle_admin_message = &handleAdminMessage,
        .setup_media = &setupMedia,
        .incoming_rtp = &incomingRtp,
        .incoming_rtcp = &incomingRtcp,
        .incoming_data = &incomingData,
        .data_ready = &dataReady,
        .slow_link = &slowLink,
        .hangup_media = &hangupMedia,
        .destroy_session = &destroySession,
        .query_session = &querySession,
    };
};

}  // namespace sylk::janus

#define SYLK_JANUS_PLUGIN(PluginClass)                                                     \
    extern "C" __attribute__((visibility("default"))) janus_plugin* create(void) {         \
        return &::sylk::janus::PluginBinding<PluginClass>::table;                          \
    }
