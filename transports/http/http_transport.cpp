// janus.transport.sylk.http: serves the web app (html/) and Debian's shared JavaScript
// libraries from inside janus, so one process is the whole server. It carries neither the
// Janus API nor the admin API (the WebSocket transport does); Janus accepts such a transport.
#include <glib.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "client_config.hpp"
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

std::string readPem(const std::string& path, const char* option) {
    gchar* text = nullptr;
    gsize length = 0;
    GError* error = nullptr;
    if (!g_file_get_contents(path.c_str(), &text, &length, &error)) {
        std::string message = std::string("http: cannot read ") + option + " '" + path + "': " + error->message;
        g_error_free(error);
        throw std::runtime_error(message);
    }
    std::string pem(text, length);
    g_free(text);
    return pem;
}

// The pages' view of janus: API ports from the WebSocket transport's config, ICE servers from
// janus.jcfg's nat section (the one place STUN/TURN are set; janus core reads it too).
// coreConfig names janus core's configuration file in configFolder, without ".jcfg".
ClientConfig clientConfig(const char* configFolder, const std::string& coreConfig) {
    janus::PluginConfig websockets(configFolder, "janus.transport.websockets");
    ApiPorts ports;
    if (websockets.getBool("general", "ws", true))
        ports.ws = static_cast<int>(websockets.getInt("general", "ws_port", 8188, 1, 65535));
    if (websockets.getBool("general", "wss", false))
        ports.wss = static_cast<int>(websockets.getInt("general", "wss_port", 8989, 1, 65535));
    janus::PluginConfig core(configFolder, coreConfig.c_str());
    NatSettings nat;
    nat.stunServer = core.getString("nat", "stun_server", "");
    nat.stunPort = static_cast<int>(core.getInt("nat", "stun_port", 3478, 1, 65535));
    nat.turnServer = core.getString("nat", "turn_server", "");
    nat.turnPort = static_cast<int>(core.getInt("nat", "turn_port", 3478, 1, 65535));
    nat.turnType = core.getString("nat", "turn_type", "udp");
    nat.turnUser = core.getString("nat", "turn_user", "");
    nat.turnPassword = core.getString("nat", "turn_pwd", "");
    return ClientConfig(ports, nat);
}

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
        bool https = config.getBool("https", false);
        if (https) {
            std::string certificate = config.getString("cert_pem", "");
            std::string key = config.getString("cert_key", "");
            if (certificate.empty() || key.empty())
                throw std::invalid_argument("http: https = true needs cert_pem and cert_key");
            std::string certificatePem = readPem(certificate, "cert_pem");
            std::string keyPem = readPem(key, "cert_key");
            // The usual mistakes (a wrong or swapped file) get a message naming the option;
            // libmicrohttpd only says that it could not start.
            if (certificatePem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
                throw std::invalid_argument("http: cert_pem '" + certificate + "' holds no PEM certificate");
            if (keyPem.find("PRIVATE KEY-----") == std::string::npos)
                throw std::invalid_argument("http: cert_key '" + key + "' holds no PEM private key");
            server->useTls(std::move(certificatePem), std::move(keyPem));
        }
        // The installed service runs janus with /etc/janus/sylk-janus.jcfg (janus.jcfg is the
        // janus package's), and janus does not tell a transport which file it read: take ours
        // when it is there, unless core_config names another.
        std::string sylkCore = std::string(configFolder ? configFolder : ".") + "/sylk-janus.jcfg";
        std::string coreConfig = config.getString(
            "core_config", g_file_test(sylkCore.c_str(), G_FILE_TEST_EXISTS) ? "sylk-janus" : "janus");
        server->setClientConfig(clientConfig(configFolder, coreConfig).json());
        server->start();
        std::string host = address.find(':') == std::string::npos ? address : "[" + address + "]";
        SYLK_LOG(LOG_INFO, "http", "web app on %s://%s:%u/ from %s", https ? "https" : "http", host.c_str(), port,
                 documentRoot.c_str());
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
