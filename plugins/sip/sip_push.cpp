// Push notifications in the SIP plugin: the PushService (sylkcore/push) with its REST API when
// push_* options are set, the gateway's push_register request and the admin requests that list
// and remove device tokens.
#include <glib.h>

#include "sip_plugin.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/push/credentials.hpp"
#include "sylkcore/request_error.hpp"

#ifndef SYLK_STATE_DIR
#define SYLK_STATE_DIR "/var/lib/sylk-janus"
#endif

namespace sylk::sip {
namespace {

std::vector<std::string> listOf(const std::string& text) {
    std::vector<std::string> items;
    gchar** parts = g_strsplit(text.c_str(), ",", -1);
    for (gchar** part = parts; *part; ++part) {
        if (*g_strstrip(*part))
            items.emplace_back(*part);
    }
    g_strfreev(parts);
    return items;
}

Json targetJson(const push::PushTarget& target) {
    Json item = Json::object();
    item.set("account", target.account)
        .set("device_id", target.device)
        .set("provider", target.provider)
        .set("app_id", target.app)
        .setBool("voip", target.voip)
        .setBool("silent", target.silent);
    // The token is a credential of the device: only its length and last characters are shown.
    std::string tail = target.token.size() > 6 ? target.token.substr(target.token.size() - 6) : "";
    item.set("token_tail", tail).set("token_length", static_cast<json_int_t>(target.token.size()));
    return item;
}

}  // namespace

void SipPlugin::configurePush(const janus::PluginConfig& config) {
    push::PushSettings settings;
    std::string apnsKey = config.getString("push_apns_key", "");
    if (!apnsKey.empty()) {
        push::ApnsCredentials apns;
        apns.keyPem = push::readFile(apnsKey);
        apns.keyId = config.getString("push_apns_key_id", "");
        apns.teamId = config.getString("push_apns_team_id", "");
        if (apns.keyId.empty() || apns.teamId.empty())
            throw std::invalid_argument("push_apns_key needs push_apns_key_id and push_apns_team_id");
        settings.apns = std::move(apns);
        settings.apnsTopics = listOf(config.getString("push_apns_topics", ""));
        if (settings.apnsTopics.empty())
            throw std::invalid_argument("push_apns_key needs push_apns_topics (the apps' bundle ids)");
    }
    std::string serviceAccount = config.getString("push_fcm_service_account", "");
    if (!serviceAccount.empty())
        settings.fcm = push::loadServiceAccount(serviceAccount);
    uint16_t apiPort = static_cast<uint16_t>(config.getInt("push_api_port", 0, 0, 65535));
    if (!settings.apns && !settings.fcm) {
        if (apiPort)
            throw std::invalid_argument("push_api_port needs push_apns_key or push_fcm_service_account");
        return;  // no push notifications
    }
    settings.apnsUrl = config.getString("push_apns_url", settings.apnsUrl);
    settings.fcmUrl = config.getString("push_fcm_url", settings.fcmUrl);
    settings.caFile = config.getString("push_ca_file", "");
    settings.timeoutMs = config.getInt("push_timeout_ms", 5000, 100, 60000);
    settings.maxAttempts = static_cast<int>(config.getInt("push_attempts", 4, 1, 10));
    settings.databasePath = config.getString("push_database",
                                              config.getString("state_dir", SYLK_STATE_DIR) + "/push_tokens.sqlite");
    push_ = std::make_unique<push::PushService>(std::move(settings));
    if (apiPort) {
        push::PushApiSettings api;
        api.ip = config.getString("push_api_ip", "127.0.0.1");
        api.port = apiPort;
        api.allowedHosts = listOf(config.getString("push_api_hosts", "127.0.0.1,::1"));
        api.apiToken = config.getString("push_api_token", "");
        api.waitMs = config.getInt("push_api_wait_ms", 3000, 0, 60000);
        pushApi_ = std::make_unique<push::PushApi>(*push_, api);
    }
    SYLK_LOG(LOG_INFO, info().package, "push notifications on (%zu tokens registered)%s", push_->tokens().count(),
             pushApi_ ? ", REST API listening" : "");
}

Reply SipPlugin::pushRegister(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    if (!push_)
        throw RequestError(ErrorCode::SipPushUnavailable, "push notifications are not configured");
    push::PushTarget target;
    std::string platform = reader.requireString("platform", 32);
    target.provider = push::providerForPlatform(platform);
    if (target.provider.empty())
        throw RequestError(ErrorCode::InvalidField, "platform must be apple, ios, android or firebase");
    target.app = reader.requireString("app_id", 255);
    target.token = reader.requireString("token", 4096);
    target.device = reader.optionalString("device_id", 256).value_or(target.token.substr(0, 256));
    target.voip = reader.optionalBool("voip").value_or(false);
    target.silent = reader.optionalBool("silent").value_or(false);
    reader.rejectUnknownFields();
    for (const std::string* text : {&target.token, &target.device, &target.app}) {
        for (unsigned char c : *text) {
            if (c <= 0x20 || c >= 0x7f)
                throw RequestError(ErrorCode::InvalidField, "app_id, token and device_id must be printable ASCII");
        }
    }
    if (!push_->serves(target.provider, target.app))
        throw RequestError(ErrorCode::InvalidField, "no push service is configured for " + target.provider + " app " +
                                                        target.app);
    return onSipThread(session, janusRequest, [this, target](GatewaySession& s) mutable {
        target.account = gateway_->pushAccount(s);
        if (target.account.empty())
            throw RequestError(ErrorCode::SipWrongState, "register an account first");
        bool changed = push_->tokens().add(target);
        Json result = Json::object();
        result.set("event", "push_registered").set("account", target.account).set("device_id", target.device)
            .setBool("changed", changed);
        return result;
    });
}

Reply SipPlugin::adminPushTokens(RequestReader& reader, const Request&) {
    if (!push_)
        throw RequestError(ErrorCode::SipPushUnavailable, "push notifications are not configured");
    auto account = reader.optionalString("account", 256);
    reader.rejectUnknownFields();
    Json list = Json::array();
    for (const auto& target : account ? push_->tokens().list(*account) : push_->tokens().listAll(1000))
        list.append(targetJson(target));
    Json body = Json::object();
    body.set("sip", "push_tokens").set("tokens", std::move(list));
    return Reply{std::move(body), {}};
}

Reply SipPlugin::adminPushRemove(RequestReader& reader, const Request&) {
    if (!push_)
        throw RequestError(ErrorCode::SipPushUnavailable, "push notifications are not configured");
    std::string account = reader.requireString("account", 256);
    std::string device = reader.requireString("device_id", 256);
    std::string app = reader.optionalString("app_id", 255).value_or("");
    reader.rejectUnknownFields();
    int removed = push_->tokens().remove(account, app, device);
    if (removed == 0)
        throw RequestError(ErrorCode::NotFound, "no such device for this account");
    Json body = Json::object();
    body.set("sip", "push_removed").set("removed", removed);
    return Reply{std::move(body), {}};
}

Reply SipPlugin::adminPushStatus(RequestReader& reader, const Request&) {
    if (!push_)
        throw RequestError(ErrorCode::SipPushUnavailable, "push notifications are not configured");
    reader.rejectUnknownFields();
    Json body = push_->status();
    body.set("sip", "push_status");
    return Reply{std::move(body), {}};
}

}  // namespace sylk::sip
