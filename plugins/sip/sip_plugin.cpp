#include "sip_plugin.hpp"

#include <gio/gio.h>

#include <stdexcept>
#include <vector>

#include "sip_events.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/janus/plugin_binding.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

#ifndef SYLK_STATE_DIR
#define SYLK_STATE_DIR "/var/lib/sylk-janus"  // Makefile.am sets it from localstatedir
#endif

namespace sylk::sip {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.2.0",
    "Sylk SIP: SIP accounts and calls for web users (gateway) and SIP phones in conference rooms (focus).",
    "Sylk SIP",
    "Sylk for Janus",
    "janus.plugin.sylk.sip",
    "sip",
};

// "a, b ,c" -> {"a", "b", "c"}
std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> items;
    gchar** parts = g_strsplit(text.c_str(), ",", -1);
    for (gchar** part = parts; *part; ++part) {
        if (*g_strstrip(*part))
            items.emplace_back(*part);
    }
    g_strfreev(parts);
    return items;
}

// The stock plugin's default for dtmf_info and a sane range for SIP INFO durations.
constexpr int kDefaultDtmfMs = 160;

}  // namespace

SipPlugin::SipPlugin() : Plugin(kInfo) {}

void SipPlugin::configure(const janus::PluginConfig& config) {
    SipSettings settings;
    settings.ip = config.getString("sip_ip", "127.0.0.1");
    settings.port = static_cast<uint16_t>(config.getInt("sip_port", 5060, 1, 65535));
    settings.ip6 = config.getString("sip_ip6", "");
    if (!settings.ip6.empty() &&
        (settings.ip6.find(':') == std::string::npos || settings.ip.find(':') != std::string::npos))
        throw std::invalid_argument("sip_ip6 (a second, IPv6 address) needs an IPv4 sip_ip");
    settings.userAgent = config.getString("user_agent", "Sylk for Janus");
    settings.contactParams = config.getString("contact_params", "");
    for (char c : settings.contactParams) {
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
            throw std::invalid_argument("contact_params must be URI parameters like transport=tcp;ob");
    }
    settings.rtpTimeoutSeconds = static_cast<int>(config.getInt("rtp_timeout", 30, 0, 3600));
    settings.tcpIdleSeconds = static_cast<int>(config.getInt("tcp_idle_timeout", 120, 1, 86400));
    settings.tcpConnectionsPerSource = static_cast<size_t>(config.getInt("tcp_connections_per_source", 32, 0, 100000));
    settings.sessionTimerSeconds = static_cast<unsigned>(config.getInt("session_timer", 1800, 0, 86400));
    if (settings.sessionTimerSeconds != 0 && settings.sessionTimerSeconds < 90)
        throw std::invalid_argument("session_timer must be 0 or at least 90 (RFC 4028 Min-SE)");
    settings.dnsResolvConf = config.getString("dns_resolv_conf", "");
    if (!settings.dnsResolvConf.empty() && !g_file_test(settings.dnsResolvConf.c_str(), G_FILE_TEST_IS_REGULAR))
        throw std::invalid_argument("dns_resolv_conf: no such file: " + settings.dnsResolvConf);
    settings.tlsPort = static_cast<uint16_t>(config.getInt("tls_port", 5061, 0, 65535));
    settings.tlsCertificate = config.getString("tls_certificate", "");
    settings.tlsKey = config.getString("tls_key", "");
    settings.trustedPeers = splitList(config.getString("trusted_peers", "127.0.0.1,::1"));
    settings.roomCallers = splitList(config.getString("room_callers", ""));
    for (const auto& range : settings.roomCallers) {
        GInetAddressMask* mask = g_inet_address_mask_new_from_string(range.c_str(), nullptr);
        if (!mask)
            throw std::invalid_argument("room_callers: '" + range + "' is not an address or CIDR range");
        g_object_unref(mask);
    }
    settings.roomSecret = config.getString("room_secret", "");
    settings.roomRealm = config.getString("room_realm", "sylk");
    settings.roomSamplingRate = static_cast<int>(config.getInt("room_sampling_rate", 0, 0, 48000));
    if (settings.roomSamplingRate != 0 && 48000 % settings.roomSamplingRate != 0)
        throw std::invalid_argument("room_sampling_rate must be 8000, 12000, 16000, 24000 or 48000 (or 0)");
    // The message journal (docs/message-store.md): opened before the stack starts, so no
    // MESSAGE is taken that could not be stored. A journal that cannot open stops the plugin.
    std::string journalBackend = config.getString("journal_backend", "sqlite");
    std::unique_ptr<store::JournalWriter> journal;
    if (journalBackend != "none") {
        store::JournalSettings journalSettings;
        journalSettings.backend = journalBackend;
        std::string stateDir = config.getString("state_dir", SYLK_STATE_DIR);
        journalSettings.sqlitePath = config.getString("journal_path", stateDir + "/message-journal.sqlite");
        journalSettings.postgresConninfo = config.getString("journal_postgres", "");
        journalSettings.retentionDays = static_cast<int>(config.getInt("journal_retention_days", 365, 0, 36500));
        try {
            journal = std::make_unique<store::JournalWriter>(store::MessageJournal::open(journalSettings),
                                                             journalSettings.retentionDays);
        } catch (const store::JournalError& e) {
            throw std::invalid_argument(std::string(e.what()) + " (journal_backend = none turns the journal off)");
        }
        SYLK_LOG(LOG_INFO, "janus.plugin.sylk.sip", "message journal: %s%s%s", journalBackend.c_str(),
                 journalBackend == "sqlite" ? " " : "", journalBackend == "sqlite" ? journalSettings.sqlitePath.c_str() : "");
    }
    configurePush(config);
    stack_ = std::make_unique<SipStack>(settings);
    receiver_ = std::make_unique<RtpReceiver>();
    focus_ = std::make_unique<ConferenceFocus>(*stack_);
    gateway_ = std::make_unique<Gateway>(
        *stack_, *receiver_, gateway(),
        [this](GatewaySession& session, const std::string& callId, const Json& result, const Json& jsep) {
            pushEventTo(session.handle(), "", event(callId, result), jsep);
            events().notify(session.handle(), [&] { return SipEvents::fromGatewayResult(session, callId, result); });
        });
    gateway_->setJournal(std::move(journal));
    // ZRTP (RFC 6189) with retained secrets in the state folder; a cache that cannot open stops
    // the plugin, as the journal does, rather than running without continuity unnoticed.
    if (config.getBool("zrtp", true)) {
        std::string path = config.getString("zrtp_cache_path", config.getString("state_dir", SYLK_STATE_DIR) +
                                                                   "/zrtp-cache.sqlite");
        // The state folder may not exist yet: with the journal in PostgreSQL nothing else made it.
        gchar* folder = g_path_get_dirname(path.c_str());
        g_mkdir_with_parents(folder, 0700);  // a failure shows as the cache's own error below
        g_free(folder);
        try {
            gateway_->enableZrtp(std::make_unique<ZrtpCache>(path));
        } catch (const std::runtime_error& e) {
            throw std::invalid_argument(std::string(e.what()) + " (zrtp = false turns ZRTP off)");
        }
        SYLK_LOG(LOG_INFO, "janus.plugin.sylk.sip", "ZRTP on, cache %s", path.c_str());
    }
    std::string offline = config.getString("offline_delivery", "none");
    if (offline != "none" && offline != "trusted_peers")
        throw std::invalid_argument("offline_delivery must be none or trusted_peers");
    if (offline == "trusted_peers" && journalBackend == "none")
        throw std::invalid_argument("offline_delivery = trusted_peers needs the message journal");
    gateway_->setOfflineDelivery(offline == "trusted_peers");
    // Kept registrations (issue 13): credentials sealed under a server key in the state directory.
    if (config.getBool("keep_registrations", true) && journalBackend != "none") {
        std::string stateDir = config.getString("state_dir", SYLK_STATE_DIR);
        try {
            gateway_->setCredentialVault(std::make_unique<store::CredentialVault>(
                config.getString("kept_registrations_dir", stateDir + "/kept-registrations"),
                config.getString("server_key", stateDir + "/server.key")));
        } catch (const store::CredentialVaultError& e) {
            throw std::invalid_argument(std::string(e.what()) + " (keep_registrations = false turns it off)");
        }
        gateway_->setKeptRingSeconds(static_cast<int>(config.getInt("kept_ring_seconds", 30, 1, 300)));
    }
    focus_->reportTo(events());
    XmppInterworkingSettings xmpp;
    for (std::string domain : splitList(config.getString("xmpp_domains", ""))) {
        for (char& c : domain)
            c = g_ascii_tolower(c);
        xmpp.domains.push_back(domain);
    }
    xmpp.outboundProxy = config.getString("xmpp_outbound_proxy", "");
    xmpp_ = std::make_unique<XmppInterworking>(*stack_, xmpp);
    gateway_->setXmppDomains(xmpp.domains);
    // Tells the xmpp plugin that INVITEs to XMPP users will come (RFC 7573 sessions): it keeps a
    // handle waiting for them only then.
    if (!xmpp.domains.empty())
        hub::Services::instance().offer(hub::service::SipStoxSessions, [](const Json&) { return Json::object(); });
    SipApplicationSettings applications;
    applications.echoUris = splitList(config.getString("echo_uris", "echo"));
    for (const auto& entry : splitList(config.getString("playback_uris", ""))) {
        auto equals = entry.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size())
            throw std::invalid_argument("playback_uris: \"" + entry + "\" is not user=file");
        applications.playbackUris.emplace_back(entry.substr(0, equals), entry.substr(equals + 1));
    }
    try {
        applications_ = std::make_unique<SipApplications>(*stack_, applications);
    } catch (const std::runtime_error& e) {
        throw std::invalid_argument(e.what());
    }
    gateway_->setPush(push_.get());
    focus_->setPush(push_.get());
    stack_->addRole(gateway_.get());
    stack_->addRole(xmpp_.get());  // before the focus, which takes every request left
    stack_->addRole(applications_.get());  // echo and playback URIs, before the focus takes them as rooms
    stack_->addRole(focus_.get());
    gateway_->loadKeptAccounts();  // before the stack runs: their Contacts are the gateway's at once
    stack_->start();
    stack_->post([this] { gateway_->restoreKeptAccounts(); });
    offerXmppServices();
    // The xmpp plugin's mediated invitations (XEP-0045) to SIP users: the room calls them in.
    hub::Services::instance().offer(hub::service::SipFocusInvite, [this](const Json& request) { return focus_->queueInvite(request); });
    // ... and of web users of the gateway: an event on their handles. The xmpp plugin waits for the
    // answer (whether any handle got it decides between this and a call); the SIP thread never
    // waits for the xmpp plugin's, so this cannot deadlock.
    hub::Services::instance().offer(hub::service::SipGatewayInvite, [this](const Json& request) {
        Json answer;
        stack_->execute([&] { answer = gateway_->conferenceInvitation(request); });
        return answer;
    });

    // Another node's event for a gateway account (the cluster plugin's relay, on the bus's
    // thread): queued to the SIP thread, so the bus never waits for it.
    hub::Services::instance().offer(hub::service::SipAccountEvent, [this](const Json& request) {
        if (!stack_->post([this, request] { gateway_->fromOtherNode(request); }))
            throw RequestError(ErrorCode::SipStackError, "the SIP stack is not running");
        return Json::object();
    });

    // Requests run on Janus's request thread and are queued to the SIP thread (SipStack::post),
    // where all SIP state lives; none waits for the network.
    onRequest<GatewaySession>("register", Execution::Inline, &SipPlugin::registerAccount);
    onRequest<GatewaySession>("unregister", Execution::Inline, &SipPlugin::unregister);
    onRequest<GatewaySession>("call", Execution::Inline, &SipPlugin::call);
    onRequest<GatewaySession>("accept", Execution::Inline, &SipPlugin::accept);
    onRequest<GatewaySession>("decline", Execution::Inline, &SipPlugin::decline);
    onRequest<GatewaySession>("ringing", Execution::Inline, &SipPlugin::ringing);
    onRequest<GatewaySession>("hangup", Execution::Inline, &SipPlugin::hangup);
    onRequest<GatewaySession>("hold", Execution::Inline, &SipPlugin::hold);
    onRequest<GatewaySession>("unhold", Execution::Inline, &SipPlugin::unhold);
    onRequest<GatewaySession>("dtmf_info", Execution::Inline, &SipPlugin::dtmfInfo);
    onRequest<GatewaySession>("message", Execution::Inline, &SipPlugin::message);
    onRequest<GatewaySession>("composing", Execution::Inline, &SipPlugin::composing);
    onRequest<GatewaySession>("sync_conversations", Execution::Inline, &SipPlugin::syncConversations);
    onRequest<GatewaySession>("mark_read", Execution::Inline, &SipPlugin::markRead);
    onRequest<GatewaySession>("remove_message", Execution::Inline, &SipPlugin::removeMessage);
    onRequest<GatewaySession>("remove_conversation", Execution::Inline, &SipPlugin::removeConversation);
    onRequest<GatewaySession>("history_token", Execution::Inline, &SipPlugin::historyToken);
    onRequest<GatewaySession>("lookup_public_key", Execution::Inline, &SipPlugin::lookupPublicKey);
    onRequest<GatewaySession>("displayed", Execution::Inline, &SipPlugin::displayed);
    onRequest<GatewaySession>("delivered", Execution::Inline, &SipPlugin::delivered);
    onRequest<GatewaySession>("acceptfile", Execution::Inline, &SipPlugin::acceptFile);
    onRequest<GatewaySession>("declinefile", Execution::Inline, &SipPlugin::declineFile);
    onRequest<GatewaySession>("filetoken", Execution::Inline, &SipPlugin::fileToken);
    onRequest<GatewaySession>("sendfile", Execution::Inline, &SipPlugin::sendFile);
    onRequest<GatewaySession>("transfer", Execution::Inline, &SipPlugin::transfer);
    onRequest<GatewaySession>("status", Execution::Inline, &SipPlugin::status);
    onAdminRequest("status", &SipPlugin::adminStatus);
    onRequest<GatewaySession>("push_register", Execution::Inline, &SipPlugin::pushRegister);
    onAdminRequest("push_tokens", &SipPlugin::adminPushTokens);
    onAdminRequest("push_remove", &SipPlugin::adminPushRemove);
    onAdminRequest("push_status", &SipPlugin::adminPushStatus);
}

std::shared_ptr<janus::PluginSession> SipPlugin::newSession(janus::Handle* handle) {
    auto onSip = [this](GatewaySession& session, void (Gateway::*what)(GatewaySession&)) {
        if (!stack_ || !gateway_)
            return;
        try {
            stack_->execute([&] { (gateway_.get()->*what)(session); });
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_VERB, info().package, "ending a session's SIP state: %s", e.what());
        }
    };
    return std::make_shared<GatewaySession>(
        handle, [onSip](GatewaySession& session) { onSip(session, &Gateway::mediaGone); },
        [onSip](GatewaySession& session) { onSip(session, &Gateway::sessionGone); });
}

bool SipPlugin::postToStateThread(std::function<void()> work) {
    // Accounts and calls live on the SIP thread: admin handle_info describes them there.
    return stack_ && stack_->post(std::move(work));
}

void SipPlugin::offerXmppServices() {
    // The xmpp plugin's messages to SIP users and its answers to ours: queued to the SIP thread,
    // so the xmpp plugin's thread never waits for ours (nor ours for it).
    auto onSipThread = [this](void (XmppInterworking::*what)(const Json&)) {
        return [this, what](const Json& request) {
            if (!stack_->post([this, what, request] { (xmpp_.get()->*what)(request); }))
                throw RequestError(ErrorCode::SipStackError, "the SIP stack is not running");
            return Json::object();
        };
    };
    hub::Services::instance().offer(hub::service::SipStoxMessage, onSipThread(&XmppInterworking::sendToSip));
    hub::Services::instance().offer(hub::service::SipStoxAnswer, onSipThread(&XmppInterworking::xmppAnswered));
    hub::Services::instance().offer(hub::service::SipStoxPresence, onSipThread(&XmppInterworking::presenceFromXmpp));
    hub::Services::instance().offer(hub::service::SipStoxSubscribe, onSipThread(&XmppInterworking::subscribeToSip));
}

void SipPlugin::onShutdown() {
    hub::Services::instance().withdraw(hub::service::SipStoxMessage);
    hub::Services::instance().withdraw(hub::service::SipStoxAnswer);
    hub::Services::instance().withdraw(hub::service::SipStoxPresence);
    hub::Services::instance().withdraw(hub::service::SipStoxSubscribe);
    if (stack_ && xmpp_) {
        try {
            stack_->execute([this] { xmpp_->close(); });
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_VERB, info().package, "answering held XMPP messages: %s", e.what());
        }
    }
    hub::Services::instance().withdraw(hub::service::SipFocusInvite);
    hub::Services::instance().withdraw(hub::service::SipGatewayInvite);
    hub::Services::instance().withdraw(hub::service::SipAccountEvent);
    hub::Services::instance().withdraw(hub::service::SipStoxSessions);
    if (stack_)
        stack_->stop();
    gateway_.reset();
    xmpp_.reset();
    focus_.reset();
    applications_.reset();
    receiver_.reset();
    stack_.reset();
    pushApi_.reset();
    push_.reset();
}

Json SipPlugin::event(const std::string& callId, const Json& result) const {
    Json body = makeEvent();
    if (!callId.empty())
        body.set("call_id", callId);
    body.set("result", result);
    return body;
}

Reply SipPlugin::onSipThread(GatewaySession& session, const Request& request, SipWork work) {
    // The answer goes out as an event pushed from the SIP thread, as janus.plugin.sip answers
    // (Janus acks the request): it is then queued ahead of every event the request causes, which
    // the SIP thread pushes later, and a janus.js application gets it in onmessage. Nothing waits
    // for the SIP thread: the request thread returns at once (a thread hand-off fewer per request).
    auto self = session.shared_from_this();  // the handle may go meanwhile; the work still answers
    bool posted = stack_->post([this, self, transaction = request.transaction, work = std::move(work)] {
        if (self->stopped())
            return;  // the handle went while the request was queued: nobody to answer, nothing to do
        Json answer;
        try {
            Json result = work(*self);
            events().notify(self->handle(), [&] { return SipEvents::fromGatewayResult(*self, "", result); });
            json_t* callId = result.member("call_id");
            answer = event(json_is_string(callId) ? json_string_value(callId) : "", result);
        } catch (const RequestError& e) {
            answer = errorEvent(e.code(), e.what());
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "SIP request failed: %s", e.what());
            answer = errorEvent(ErrorCode::InternalError, "internal error");
        }
        pushEventTo(self->handle(), transaction, answer, Json());
    });
    if (!posted)
        throw RequestError(ErrorCode::SipStackError, "the SIP stack is not running");
    return Reply{};
}

Reply SipPlugin::onSipThreadDeferred(GatewaySession& session, const Request& request, DeferredWork work) {
    auto self = session.shared_from_this();
    bool posted = stack_->post([this, self, transaction = request.transaction, work = std::move(work)] {
        if (self->stopped())
            return;
        DeferredAnswer answer;
        answer.done = [this, self, transaction](const Json& result) {
            events().notify(self->handle(), [&] { return SipEvents::fromGatewayResult(*self, "", result); });
            pushEventTo(self->handle(), transaction, event("", result), Json());
        };
        answer.failed = [this, self, transaction](ErrorCode code, const std::string& error) {
            pushEventTo(self->handle(), transaction, errorEvent(code, error), Json());
        };
        try {
            work(*self, answer);
        } catch (const RequestError& e) {
            answer.failed(e.code(), e.what());
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "SIP request failed: %s", e.what());
            answer.failed(ErrorCode::InternalError, "internal error");
        }
    });
    if (!posted)
        throw RequestError(ErrorCode::SipStackError, "the SIP stack is not running");
    return Reply{};
}

Reply SipPlugin::syncConversations(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    SyncRequest request;
    request.sinceId = reader.optionalString("since_id", 256);
    request.sinceSeq = reader.optionalInt("since_seq", 0, INT64_MAX).value_or(0);
    request.sinceTime = reader.optionalInt("since_time", 0, INT64_MAX / G_USEC_PER_SEC).value_or(0);
    request.conversation = reader.optionalString("conversation", 512).value_or("");
    request.limit = static_cast<int>(reader.optionalInt("limit", 1, 5000).value_or(1000));
    return onSipThreadDeferred(session, janusRequest, [this, request](GatewaySession& s, DeferredAnswer answer) {
        gateway_->syncConversations(s, request, std::move(answer));
    });
}

Reply SipPlugin::markRead(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string conversation = reader.requireString("conversation", 512);
    return onSipThreadDeferred(session, janusRequest, [this, conversation](GatewaySession& s, DeferredAnswer answer) {
        gateway_->markRead(s, conversation, std::move(answer));
    });
}

Reply SipPlugin::removeMessage(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string messageId = reader.requireString("message_id", 256);
    return onSipThreadDeferred(session, janusRequest, [this, messageId](GatewaySession& s, DeferredAnswer answer) {
        gateway_->removeMessage(s, messageId, std::move(answer));
    });
}

Reply SipPlugin::removeConversation(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string conversation = reader.requireString("conversation", 512);
    return onSipThreadDeferred(session, janusRequest, [this, conversation](GatewaySession& s, DeferredAnswer answer) {
        gateway_->removeConversation(s, conversation, std::move(answer));
    });
}

Reply SipPlugin::lookupPublicKey(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string uri = reader.requireString("uri", 512);
    return onSipThreadDeferred(session, janusRequest, [this, uri](GatewaySession& s, DeferredAnswer answer) {
        gateway_->lookupPublicKey(s, uri, std::move(answer));
    });
}

Reply SipPlugin::historyToken(GatewaySession& session, RequestReader&, const Request& janusRequest) {
    return onSipThreadDeferred(session, janusRequest, [this](GatewaySession& s, DeferredAnswer answer) {
        gateway_->historyToken(s, std::move(answer));
    });
}

Reply SipPlugin::registerAccount(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    RegisterRequest request;
    request.username = reader.requireString("username", 512);
    request.secret = reader.optionalString("secret", 256);
    request.ha1Secret = reader.optionalString("ha1_secret", 64);
    request.authUser = reader.optionalString("authuser", 256);
    request.displayName = reader.optionalString("display_name", 256);
    request.proxy = reader.optionalString("proxy", 512);
    request.outboundProxy = reader.optionalString("outbound_proxy", 512);
    request.ttl = static_cast<int>(reader.optionalInt("register_ttl", 30, 86400).value_or(3600));
    auto type = reader.optionalString("type", 16);
    if (type && *type != "guest" && *type != "helper")
        throw RequestError(ErrorCode::InvalidField, "type must be 'guest' (no REGISTER)");
    request.guest = (type && *type == "guest") || !reader.optionalBool("send_register").value_or(true);
    request.keep = reader.optionalBool("keep_registered");
    // The xmpp plugin's handles for SIP sessions to XMPP users (RFC 7573): guests, no REGISTER.
    request.xmppSessions = reader.optionalBool("xmpp_sessions").value_or(false);
    if (request.xmppSessions && !request.guest)
        throw RequestError(ErrorCode::InvalidField, "xmpp_sessions needs type 'guest'");
    return onSipThread(session, janusRequest,
                       [this, request](GatewaySession& s) { return gateway_->registerAccount(s.shared_from_this(), request); });
}

Reply SipPlugin::unregister(GatewaySession& session, RequestReader&, const Request& janusRequest) {
    return onSipThread(session, janusRequest, [this](GatewaySession& s) { return gateway_->unregister(s); });
}

Reply SipPlugin::call(GatewaySession& session, RequestReader& reader, const Request& request) {
    std::string uri = reader.requireString("uri", 512);
    std::string srtp;
    if (auto mode = reader.optionalString("srtp", 32)) {
        if (*mode == "sdes_optional")
            srtp = "optional";
        else if (*mode == "sdes_mandatory")
            srtp = "mandatory";
        else
            throw RequestError(ErrorCode::InvalidField, "srtp must be sdes_optional or sdes_mandatory");
    }
    auto referId = static_cast<uint64_t>(reader.optionalInt("refer_id", 1, INT64_MAX).value_or(0));
    if (reader.optionalBool("chat").value_or(false))  // a chat-only call (MSRP), no JSEP
        return onSipThread(session, request, [this, uri](GatewaySession& s) { return gateway_->callChat(s.shared_from_this(), uri); });
    return onSipThread(session, request, [this, uri, jsep = request.jsep, srtp, referId](GatewaySession& s) {
        return gateway_->call(s.shared_from_this(), uri, jsep, srtp, referId);
    });
}

Reply SipPlugin::accept(GatewaySession& session, RequestReader&, const Request& request) {
    return onSipThread(session, request, [this, jsep = request.jsep](GatewaySession& s) { return gateway_->accept(s, jsep); });
}

Reply SipPlugin::decline(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    int code = static_cast<int>(reader.optionalInt("code", 400, 699).value_or(486));
    return onSipThread(session, janusRequest, [this, code](GatewaySession& s) { return gateway_->decline(s, code); });
}

Reply SipPlugin::ringing(GatewaySession& session, RequestReader&, const Request& janusRequest) {
    return onSipThread(session, janusRequest, [this](GatewaySession& s) { return gateway_->ringing(s); });
}

Reply SipPlugin::hangup(GatewaySession& session, RequestReader&, const Request& janusRequest) {
    return onSipThread(session, janusRequest, [this](GatewaySession& s) { return gateway_->hangup(s); });
}

Reply SipPlugin::hold(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string direction = reader.optionalString("direction", 16).value_or("sendonly");
    if (direction != "sendonly" && direction != "recvonly" && direction != "inactive")
        throw RequestError(ErrorCode::InvalidField, "direction must be sendonly, recvonly or inactive");
    return onSipThread(session, janusRequest,
                       [this, direction](GatewaySession& s) { return gateway_->hold(s, true, direction); });
}

Reply SipPlugin::unhold(GatewaySession& session, RequestReader&, const Request& janusRequest) {
    return onSipThread(session, janusRequest, [this](GatewaySession& s) { return gateway_->hold(s, false, "sendrecv"); });
}

Reply SipPlugin::dtmfInfo(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string digit = reader.requireString("digit", 1);
    int duration = static_cast<int>(reader.optionalInt("duration", 40, 5000).value_or(kDefaultDtmfMs));
    return onSipThread(session, janusRequest,
                       [this, digit, duration](GatewaySession& s) { return gateway_->dtmfInfo(s, digit, duration); });
}

Reply SipPlugin::message(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    MessageRequest request;
    request.content = reader.requireString("content", 16 * 1024);
    request.contentType = reader.optionalString("content_type", 128).value_or("text/plain");
    request.uri = reader.optionalString("uri", 512);
    request.imdn = reader.optionalBool("imdn").value_or(false);
    for (char c : request.contentType) {
        if (c <= 0x20 || c >= 0x7f)
            throw RequestError(ErrorCode::InvalidField, "content_type must be a MIME type like text/plain");
    }
    return onSipThreadDeferred(session, janusRequest, [this, request](GatewaySession& s, DeferredAnswer answer) {
        gateway_->message(s.shared_from_this(), request, std::move(answer));
    });
}

Reply SipPlugin::transfer(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    // Attended (extension): "replaces" names the consulted call by its call_id; uri is optional then.
    std::string replaces = reader.optionalString("replaces", 256).value_or("");
    std::string uri = replaces.empty() ? reader.requireString("uri", 512) : reader.optionalString("uri", 512).value_or("");
    return onSipThread(session, janusRequest,
                       [this, uri, replaces](GatewaySession& s) { return gateway_->transfer(s, uri, replaces); });
}

Reply SipPlugin::composing(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    bool active = reader.optionalBool("active").value_or(true);
    auto uri = reader.optionalString("uri", 512);
    return onSipThread(session, janusRequest,
                       [this, active, uri](GatewaySession& s) { return gateway_->composing(s.shared_from_this(), active, uri); });
}

Reply SipPlugin::displayed(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string messageId = reader.requireString("message_id", 256);
    return onSipThread(session, janusRequest, [this, messageId](GatewaySession& s) { return gateway_->displayed(s, messageId); });
}

Reply SipPlugin::delivered(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string messageId = reader.requireString("message_id", 256);
    return onSipThread(session, janusRequest, [this, messageId](GatewaySession& s) { return gateway_->delivered(s, messageId); });
}

Reply SipPlugin::acceptFile(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string transfer = reader.requireString("transfer", 256);
    std::string id = reader.optionalString("id", 128).value_or("");  // a file request's answer
    return onSipThread(session, janusRequest,
                       [this, transfer, id](GatewaySession& s) { return gateway_->acceptFile(s, transfer, id); });
}

Reply SipPlugin::declineFile(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string transfer = reader.requireString("transfer", 256);
    int code = static_cast<int>(reader.optionalInt("code", 400, 699).value_or(603));
    return onSipThread(session, janusRequest,
                       [this, transfer, code](GatewaySession& s) { return gateway_->declineFile(s, transfer, code); });
}

Reply SipPlugin::fileToken(GatewaySession& session, RequestReader&, const Request& janusRequest) {
    return onSipThread(session, janusRequest, [this](GatewaySession& s) { return gateway_->fileToken(s); });
}

Reply SipPlugin::sendFile(GatewaySession& session, RequestReader& reader, const Request& janusRequest) {
    std::string uri = reader.requireString("uri", 512);
    std::string id = reader.requireString("id", 128);
    return onSipThread(session, janusRequest,
                       [this, uri, id](GatewaySession& s) { return gateway_->sendFile(s.shared_from_this(), uri, id); });
}

Json SipPlugin::statusBody() const {
    Json body = Json::object();
    Json addresses = Json::array();
    for (int i = 0; i < stack_->listeners(); ++i)
        addresses.append(Json::adopt(json_string(stack_->ip(i).c_str())));
    body.set("sip", "status")
        .set("address", stack_->settings().ip)
        .set("addresses", addresses)
        .set("port", stack_->settings().port)
        .set("handles", stack_->liveHandles())
        .set("focus", focus_->status())
        .set("applications", applications_->status())
        .set("gateway", gateway_->status())
        .set("xmpp", xmpp_->status());
    return body;
}

Reply SipPlugin::status(GatewaySession&, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    return Reply{statusBody(), {}};
}

Reply SipPlugin::adminStatus(RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    return Reply{statusBody(), {}};
}

}  // namespace sylk::sip
