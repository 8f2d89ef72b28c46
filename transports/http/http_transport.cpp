// janus.transport.sylk.http: serves the web app (html/) and Debian's shared JavaScript
// libraries from inside janus, so one process is the whole server. It carries neither the
// Janus API nor the admin API (the WebSocket transport does); Janus accepts such a transport.
#include <memory>

#include "http_server.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/janus/guard.hpp"
#include "sylkcore/janus/janus_headers.hpp"
#include "sylkcore/janus/plugin_config.hpp"
#include "sylkcore/log.hpp"

namespace sylk::http {
namespace {

constexpr const char* kPackage = "janus.transport.sylk.http";
std::unique_ptr<HttpServer> server;

int init(janus_transport_callbacks*, const char* configFolder) {
    return janus::guard("http init", [&] {
        janus::PluginConfig config(configFolder, kPackage);
        if (!config.getBool("enabled", true)) {
            SYLK_LOG(LOG_INFO, "http", "web app server disabled in %s", config.path().c_str());
            return 0;
        }
        StaticSite site;
        std::string documentRoot = config.getString("document_root", SYLK_HTML_DIR);
        site.mount("/", documentRoot);
        site.mount("/javascript/", config.getString("javascript_root", "/usr/share/javascript"));
        // Room file sharing: uploads and downloads go through this server.
        if (config.getBool("file_sharing", true)) {
            std::string filesDir = config.getString("files_dir", SYLK_FILES_DIR);
            auto maxBytes = static_cast<uint64_t>(config.getInt("max_file_bytes", 100 * 1024 * 1024, 1, INT64_C(1) << 40));
            files::FileStore::instance().configure(filesDir, maxBytes);
        }
        std::string address = config.getString("ip", "127.0.0.1");
        auto port = static_cast<uint16_t>(config.getInt("port", 8080, 1, 65535));
        server = std::make_unique<HttpServer>(std::move(site), address, port);
        server->start();
        SYLK_LOG(LOG_INFO, "http", "web app on http://%s:%u/ from %s", address.c_str(), port, documentRoot.c_str());
        return 0;
    }, [] { return -1; });
}

void destroy() {
    janus::guard("http destroy", [] { server.reset(); }, [] {});
}

int apiCompatibility() { return JANUS_TRANSPORT_API_VERSION; }
int version() { return 1; }
const char* versionString() { return "0.1.0"; }
const char* description() { return "Sylk web app server (static files, no Janus API)."; }
const char* name() { return "Sylk HTTP"; }
const char* author() { return "Sylk for Janus"; }
const char* package() { return kPackage; }
gboolean noApi() { return FALSE; }
int sendMessage(janus_transport_session*, void*, gboolean, json_t* message) {
    json_decref(message);  // never called: we carry no API, but own the message if we are
    return -1;
}
void sessionCreated(janus_transport_session*, guint64) {}
void sessionOver(janus_transport_session*, guint64, gboolean, gboolean) {}
void sessionClaimed(janus_transport_session*, guint64) {}
json_t* queryTransport(json_t*) {
    json_t* info = json_object();
    json_object_set_new(info, "requests_served", json_integer(server ? static_cast<json_int_t>(server->requestsServed()) : 0));
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
    .is_janus_api_enabled = &noApi,
    .is_admin_api_enabled = &noApi,
    .send_message = &sendMessage,
    .session_created = &sessionCreated,
    .session_over = &sessionOver,
    .session_claimed = &sessionClaimed,
    .query_transport = &queryTransport,
};

}  // namespace
}  // namespace sylk::http

extern "C" __attribute__((visibility("default"))) janus_transport* create(void) { return &sylk::http::table; }
