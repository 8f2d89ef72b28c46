#include "xmpp_plugin.hpp"

#include <stdexcept>

#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"
#include "xmpp_config.hpp"
#include "xmpp_handle.hpp"

namespace sylk::xmpp {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk XMPP: an XEP-0114 component serving the rooms as XEP-0045 multi-user chats.",
    "Sylk XMPP",
    "Sylk for Janus",
    MucRoom::kPackage,
    "xmpp",
};

}  // namespace

XmppPlugin::XmppPlugin() : Plugin(kInfo) {}

void XmppPlugin::configure(const janus::PluginConfig& config) {
    settings_ = readSettings(config);
    if (settings_.secret.empty())
        SYLK_LOG(LOG_WARN, kInfo.package, "component_secret is empty: the server will refuse the handshake");
    thread_ = std::make_unique<net::StackThread>("xmpp");
    // The services are made on their thread; they connect from there and keep trying while the
    // server is away, so a server that is not up yet does not stop the plugin.
    thread_->execute([this] {
        MucEvents reports{[this] { return events().enabled(); },
                          [this](Json event) { events().notify(nullptr, std::move(event)); }};
        muc_ = std::make_unique<MucService>(*thread_, settings_, std::move(reports));
        sip_ = std::make_unique<SipDomainService>(*thread_, settings_);
        muc_->start();
        sip_->start();
    });
    offerStoxServices();
    onRequest<XmppHandle>("status", Execution::Inline, &XmppPlugin::status);
    onAdminRequest("status", &XmppPlugin::adminStatus);
}

std::shared_ptr<janus::PluginSession> XmppPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<XmppHandle>(handle);
}

void XmppPlugin::offerStoxServices() {
    // The SIP plugin's 1:1 chat with XMPP users (RFC 7572): handed to the stack thread and
    // answered later through "sip.stox.answer", so neither plugin's thread waits for the other.
    auto onSipDomain = [this](void (SipDomainService::*what)(const Json&)) {
        return [this, what](const Json& request) {
            if (!thread_->post([this, what, request] {
                    if (sip_)
                        (sip_.get()->*what)(request);
                }))
                throw RequestError(ErrorCode::XmppUnavailable, "the XMPP stack is not running");
            return Json::object();
        };
    };
    hub::Services::instance().offer(hub::service::XmppStoxMessage, onSipDomain(&SipDomainService::fromSip));
    hub::Services::instance().offer(hub::service::XmppStoxAnswer, onSipDomain(&SipDomainService::sipAnswered));
    hub::Services::instance().offer(hub::service::XmppStoxSubscribe, onSipDomain(&SipDomainService::subscribeFromSip));
    hub::Services::instance().offer(hub::service::XmppStoxPresence, onSipDomain(&SipDomainService::presenceFromSip));
}

void XmppPlugin::onShutdown() {
    hub::Services::instance().withdraw(hub::service::XmppStoxMessage);
    hub::Services::instance().withdraw(hub::service::XmppStoxAnswer);
    hub::Services::instance().withdraw(hub::service::XmppStoxSubscribe);
    hub::Services::instance().withdraw(hub::service::XmppStoxPresence);
    if (!thread_)
        return;
    try {
        thread_->execute([this] {
            muc_.reset();  // the occupants leave their hub rooms; the streams close
            sip_.reset();
        });
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kInfo.package, "stopping the XMPP services: %s", e.what());
    }
    // Kept (stopped) until the plugin goes: a status racing the shutdown gets an error from
    // execute() instead of touching a thread that is gone.
    thread_->stop();
}

bool XmppPlugin::postToStateThread(std::function<void()> work) { return thread_ && thread_->post(std::move(work)); }

Json XmppPlugin::stackStatus() {
    Json status;
    try {
        if (!thread_)
            throw std::runtime_error("not started");
        thread_->execute([&] {
            if (!muc_ || !sip_)
                throw std::runtime_error("stopping");
            status = Json::object();
            status.set("domain", settings_.domain).set("muc", muc_->status()).set("sip", sip_->status());
        });
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::XmppUnavailable, std::string("the XMPP stack is not running: ") + e.what());
    }
    return status;
}

Reply XmppPlugin::status(XmppHandle&, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("status", stackStatus());
    return Reply{body, {}};
}

Reply XmppPlugin::adminStatus(RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("status", stackStatus());
    return Reply{body, {}};
}

}  // namespace sylk::xmpp
