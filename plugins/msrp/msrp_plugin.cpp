#include "msrp_plugin.hpp"

#include <glib.h>

#include <stdexcept>

#include "msrp_handle.hpp"
#include "msrp_requests.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::msrp_plugin {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk MSRP: chat sessions (RFC 4975) and the conference MSRP switch.",
    "Sylk MSRP",
    "Sylk for Janus",
    ChatRoom::kPackage,
    "msrp",
};

}  // namespace

MsrpPlugin::MsrpPlugin() : Plugin(kInfo) {}

MsrpSettings MsrpPlugin::readSettings(const janus::PluginConfig& config) {
    MsrpSettings settings;
    // By default MSRP listens where SIP does, so the m=message line names the same address.
    std::string folder = config.path().substr(0, config.path().rfind('/'));
    janus::PluginConfig sip(folder.c_str(), "janus.plugin.sylk.sip");
    settings.listenIp = config.getString("listen_ip", sip.getString("sip_ip", "127.0.0.1"));
    settings.port = static_cast<uint16_t>(config.getInt("port", 2855, 0, 65535));
    settings.tlsPort = static_cast<uint16_t>(config.getInt("tls_port", 2856, 0, 65535));
    settings.tlsCertificate = config.getString("tls_certificate", "");
    settings.tlsKey = config.getString("tls_key", "");
    if (settings.tlsCertificate.empty() != settings.tlsKey.empty())
        throw std::invalid_argument("tls_certificate and tls_key go together");
    settings.maxMessageBytes = static_cast<size_t>(config.getInt("max_message_bytes", 1024 * 1024, 1024, 64 * 1024 * 1024));
    settings.chunkSize = static_cast<size_t>(config.getInt("chunk_size", 2048, 64, 1024 * 1024));
    settings.historyLength = static_cast<size_t>(config.getInt("history_length", 20, 0, 1000));
    settings.sendQueueBytes = static_cast<size_t>(config.getInt("send_queue_bytes", 1024 * 1024, 4096, 256 * 1024 * 1024));
    settings.welcome = config.getString("welcome", settings.welcome);
    settings.relayUri = config.getString("relay_uri", "");
    settings.relayUser = config.getString("relay_user", "");
    settings.relayPassword = config.getString("relay_password", "");
    settings.relayFingerprint = config.getString("relay_fingerprint", "");
    settings.relayExpires = static_cast<int>(config.getInt("relay_expires", 0, 0, 86400));
    return settings;
}

void MsrpPlugin::configure(const janus::PluginConfig& config) {
    settings_ = readSettings(config);
    thread_ = std::make_unique<net::StackThread>("msrp");
    // The switch is made and started on its thread; a listener that cannot open stops the
    // plugin at start with the reason.
    thread_->execute([this] {
        switch_ = std::make_unique<ChatSwitch>(*thread_, settings_, [this](Json event) { events().notify(nullptr, std::move(event)); });
        try {
            switch_->start();
        } catch (...) {
            switch_.reset();  // on its own thread, like everything of the stack
            throw;
        }
    });
    onRequest<MsrpHandle>("status", Execution::Inline, &MsrpPlugin::status);
    onAdminRequest("status", &MsrpPlugin::adminStatus);
    hub::Services::instance().offer(hub::service::MsrpOpenSession, [this](const Json& request) { return openSession(request); });
    hub::Services::instance().offer(hub::service::MsrpCloseSession, [this](const Json& request) { return closeSession(request); });
    hub::Services::instance().offer(hub::service::MsrpSetRemote, [this](const Json& request) {
        RequestReader reader(request.get());
        SetRemoteRequest remote = parseSetRemote(reader);
        try {
            thread_->execute([&] { switch_->setRemote(remote); });
        } catch (const RequestError&) {
            throw;
        } catch (const std::exception& e) {
            throw RequestError(ErrorCode::MsrpUnavailable, e.what());
        }
        return Json::object().setBool("set", true);
    });
}

std::shared_ptr<janus::PluginSession> MsrpPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<MsrpHandle>(handle);
}

void MsrpPlugin::onShutdown() {
    hub::Services::instance().withdraw(hub::service::MsrpOpenSession);
    hub::Services::instance().withdraw(hub::service::MsrpCloseSession);
    hub::Services::instance().withdraw(hub::service::MsrpSetRemote);
    if (thread_) {
        try {
            thread_->execute([this] { switch_.reset(); });
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_WARN, kInfo.package, "stopping the switch: %s", e.what());
        }
        // Kept (stopped) until the plugin goes: a service call racing the shutdown then gets an
        // error from execute() instead of touching a thread that is gone.
        thread_->stop();
    }
}

bool MsrpPlugin::postToStateThread(std::function<void()> work) { return thread_ && thread_->post(std::move(work)); }

ChatSwitch& MsrpPlugin::running() {
    if (!switch_)
        throw RequestError(ErrorCode::MsrpUnavailable, "the MSRP stack is not running");
    return *switch_;
}

Json MsrpPlugin::openSession(const Json& request) {
    // Called by another plugin's thread (the SIP focus's); parsed there, run on ours.
    RequestReader reader(request.get());
    OpenSessionRequest open = parseOpenSession(reader);
    Json answer;
    try {
        thread_->execute([&] { answer = running().open(open); });
    } catch (const RequestError&) {
        throw;
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::MsrpUnavailable, e.what());
    }
    return answer;
}

Json MsrpPlugin::closeSession(const Json& request) {
    RequestReader reader(request.get());
    std::string session = parseCloseSession(reader);
    try {
        thread_->execute([&] { running().close(session); });
    } catch (const RequestError&) {
        throw;
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::MsrpUnavailable, e.what());
    }
    return Json::object().setBool("closed", true);
}

Json MsrpPlugin::switchStatus() {
    Json status;
    if (!thread_)
        throw RequestError(ErrorCode::MsrpUnavailable, "the MSRP stack is not running");
    thread_->execute([&] { status = running().status(); });
    return status;
}

Reply MsrpPlugin::status(MsrpHandle&, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("status", switchStatus());
    return Reply{body, {}};
}

Reply MsrpPlugin::adminStatus(RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("status", switchStatus());
    return Reply{body, {}};
}

}  // namespace sylk::msrp_plugin
