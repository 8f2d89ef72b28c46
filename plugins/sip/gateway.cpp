#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sylkcore/cpim/cpim.hpp"
#include "imdn.hpp"
#include "rtp_receiver.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/janus/sdp_answer.hpp"
#include "sylkcore/janus/sdp_offer.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

Gateway::Gateway(SipStack& stack, RtpReceiver& receiver, janus::Gateway janusGateway, EventSink events)
    : stack_(stack), receiver_(receiver), janusGateway_(janusGateway), events_(std::move(events)) {}

std::shared_ptr<GatewaySession> Gateway::sessionOf(nua_handle_s* handle) const {
    auto found = handles_.find(handle);
    return found == handles_.end() ? nullptr : found->second.lock();
}

bool Gateway::claims(int event, nua_handle_s* handle, const sip_s* sip) {
    if (handles_.count(handle) || kept_.count(handle) || isKeptRing(handle))  // kept: gateway_keep.cpp
        return true;
    if (isHeldXmppInvite(handle))  // an INVITE waiting for the xmpp plugin's handle (gateway_xmpp.cpp)
        return true;
    if (event == nua_i_invite || event == nua_i_message) {
        auto contact = contacts_.find(requestUser(sip));
        if (contact != contacts_.end() && !contact->second.expired())
            return true;
        if (!keptAccountFor(sip).empty())  // a kept account's (gateway_keep.cpp)
            return true;
        if (event == nua_i_invite && forXmppUser(sip))
            return true;  // a session to an XMPP user (RFC 7573): the xmpp plugin's handle
        return event == nua_i_message && offlineCandidate(sip);
    }
    return false;
}

void Gateway::emit(GatewaySession& session, const Json& event, const Json& jsep) {
    events_(session, session.call.callId, event, jsep);
}

std::string Gateway::fromHeader(const GatewaySession& session) const {
    const SipAccount& account = session.account;
    if (account.displayName.empty())
        return "<" + account.aor + ">";
    std::string display;
    for (char c : account.displayName) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20)
            display += c;
    }
    return "\"" + display + "\" <" + account.aor + ">";
}

// ---------------------------------------------------------------- accounts

Json Gateway::registerAccount(const std::shared_ptr<GatewaySession>& session, const RegisterRequest& request) {
    SipAccount& account = session->account;
    if (account.active)
        throw RequestError(ErrorCode::SipAlreadyRegistered, "already registered as " + account.aor + " (unregister first)");
    if (request.keep.value_or(false) && (!vault_ || request.guest))
        throw RequestError(ErrorCode::InvalidField, request.guest ? "a guest (no REGISTER) cannot be kept registered"
                                                                  : "keep_registered is off on this server (no state_dir)");
    if (!request.guest) {
        if (auto taken = takeOverKept(session, request))
            return *taken;
    }
    std::string user;
    if (!splitUri(request.username, &user))
        throw RequestError(ErrorCode::SipInvalidAddress, "username must be a SIP URI like sip:alice@example.com");
    if (request.proxy && !validUri(*request.proxy))
        throw RequestError(ErrorCode::SipInvalidAddress, "proxy must be a SIP URI like sip:registrar.example.com");
    if (request.outboundProxy && !validUri(*request.outboundProxy))
        throw RequestError(ErrorCode::SipInvalidAddress, "outbound_proxy must be a SIP URI");
    if (!request.guest && !request.secret && !request.ha1Secret)
        SYLK_LOG(LOG_VERB, kPackage, "registering %s without a secret", request.username.c_str());
    account = SipAccount{};
    account.active = true;
    account.sendRegister = !request.guest;
    account.aor = request.username;
    account.user = user;
    account.authUser = request.authUser.value_or(user);
    account.secretIsHa1 = request.ha1Secret.has_value();
    account.secret = request.ha1Secret ? *request.ha1Secret : request.secret.value_or("");
    account.displayName = request.displayName.value_or("");
    account.registrar = request.proxy.value_or("");
    account.outboundProxy = request.outboundProxy.value_or("");
    account.ttl = request.ttl;
    account.keep = request.keep.value_or(false);
    account.contactUser = user + "-" + randomToken();
    contacts_[account.contactUser] = session;
    ++accounts_;
    account.xmppSessions = request.xmppSessions;
    if (request.xmppSessions) {
        xmppSessions_.push_back(session);
        // A held INVITE goes to it after this reply (a posted turn), so that the xmpp plugin
        // sees "registered" before the incomingcall.
        if (!heldXmppInvites_.empty())
            stack_.post([this] { deliverHeldXmppInvites(); });
    }
    if (!account.sendRegister) {
        account.registered = true;
        Json registered = result("registered");
        registered.set("username", account.aor).setBool("register_sent", false).set("contact_user", account.contactUser);
        return registered;
    }
    account.listener = stack_.listenerFor(!account.outboundProxy.empty() ? account.outboundProxy
                                          : !account.registrar.empty()   ? account.registrar
                                                                         : account.aor);
    if (!sendRegister(*session))
        throw RequestError(ErrorCode::SipStackError, "the SIP stack could not make a registration");
    return result("registering");
}

bool Gateway::sendRegister(GatewaySession& session) {
    SipAccount& account = session.account;
    std::string from = fromHeader(session);
    account.registration = nua_handle(stack_.nua(account.listener), nullptr, SIPTAG_FROM_STR(from.c_str()),
                                      SIPTAG_TO_STR(account.aor.c_str()), TAG_END());
    if (!account.registration)
        return false;
    stack_.adopt(account.registration);
    handles_[account.registration] = session.shared_from_this();
    std::string expires = std::to_string(account.ttl);
    nua_register(account.registration,
                 NUTAG_M_USERNAME(account.contactUser.c_str()),
                 TAG_IF(!stack_.settings().contactParams.empty(), NUTAG_M_PARAMS(stack_.settings().contactParams.c_str())),
                 TAG_IF(!account.displayName.empty(), NUTAG_M_DISPLAY(account.displayName.c_str())),
                 TAG_IF(!account.registrar.empty(), NUTAG_REGISTRAR(account.registrar.c_str())),
                 TAG_IF(!account.outboundProxy.empty(), NUTAG_PROXY(account.outboundProxy.c_str())),
                 SIPTAG_EXPIRES_STR(expires.c_str()),
                 TAG_END());
    return true;
}

bool Gateway::registerOnOtherFamily(GatewaySession& session, nua_handle_s* failed) {
    SipAccount& account = session.account;
    const std::string& target = !account.outboundProxy.empty() ? account.outboundProxy
                                : !account.registrar.empty()   ? account.registrar
                                                               : account.aor;
    // Only names: a literal address went out on its own family already.
    if (account.familyRetried || stack_.listeners() < 2 || !hostIsName(target))
        return false;
    const int first = account.listener;
    account.listener = first == 0 ? 1 : 0;
    account.familyRetried = true;
    if (!sendRegister(session)) {  // the failed handle stays for the caller's failure path
        account.listener = first;
        account.registration = failed;
        return false;
    }
    handles_.erase(failed);
    stack_.retire(failed);
    SYLK_LOG(LOG_INFO, kPackage, "%s: registering again from %s (the registrar's name has no address of the other family)",
             account.aor.c_str(), stack_.ip(account.listener).c_str());
    return true;
}

Json Gateway::unregister(GatewaySession& session) {
    SipAccount& account = session.account;
    if (!account.active)
        throw RequestError(ErrorCode::SipWrongState, "not registered");
    if (account.keep)
        forgetKept(account.aor);
    contacts_.erase(account.contactUser);
    --accounts_;
    Json event = result(account.sendRegister ? "unregistering" : "unregistered");
    event.set("username", account.aor).setBool("register_sent", account.sendRegister);
    if (account.registration) {
        // The credentials stay with the handle until the registrar has answered (it may challenge).
        unregistering_[account.registration] = account;
        unregistering_[account.registration].authAttempts = 0;
        nua_unregister(account.registration, TAG_END());  // the handle goes on nua_r_unregister
    }
    account = SipAccount{};
    return event;
}

bool Gateway::authenticate(const SipAccount& account, nua_handle_s* handle, const sip_s* sip, int& attempts) {
    const msg_auth_t* challenge = sip ? (sip->sip_www_authenticate ? sip->sip_www_authenticate : sip->sip_proxy_authenticate)
                                      : nullptr;
    if (!challenge || !account.active || (account.secret.empty()) || attempts >= 2)
        return false;
    const char* realm = msg_params_find(challenge->au_params, "realm=");
    if (!realm)
        return false;
    ++attempts;
    // Sofia's credential string: scheme:"realm":user:password. A hashed secret is marked twice,
    // HA1+scheme:"realm":user:HA1+<hash>, as Janus's stock plugin does: with the mark on the
    // password alone, a registrar refused the digest (the HA1 test in test_sip_dns.py).
    const std::string mark = account.secretIsHa1 ? "HA1+" : "";
    std::string credentials = mark + challenge->au_scheme + ":" + realm + ":" + account.authUser + ":" + mark +
                              account.secret;
    nua_authenticate(handle, NUTAG_AUTH(credentials.c_str()), TAG_END());
    return true;
}

void Gateway::onRegisterResponse(GatewaySession& session, int status, const char* phrase, nua_handle_s* handle,
                                 const sip_s* sip) {
    SipAccount& account = session.account;
    if (handle != account.registration || status < 200)
        return;
    if (status < 300) {
        account.authAttempts = 0;
        learnPushBindings(session, sip);
        if (!account.registered) {
            account.registered = true;
            Json event = result("registered");
            event.set("username", account.aor).setBool("register_sent", true).set("contact_user", account.contactUser);
            if (account.keep) {  // stored only once the registrar took the credentials
                storeKept(account);
                event.setBool("keep_registered", true);
            }
            emit(session, event);
        }
        return;
    }
    if ((status == 401 || status == 407) && authenticate(account, handle, sip, account.authAttempts))
        return;
    // Sofia's resolver failing on our stack's family comes as its own 503 "DNS Error".
    if (status == 503 && (!sip || (phrase && std::strcmp(phrase, "DNS Error") == 0)) &&
        registerOnOtherFamily(session, handle))
        return;
    // Refused (wrong credentials, unknown user) or unreachable (408/503 from the stack).
    Json event = result("registration_failed");
    event.set("code", status).set("reason", phrase ? phrase : "");
    emit(session, event);
    contacts_.erase(account.contactUser);
    handles_.erase(handle);
    stack_.retire(handle);
    --accounts_;
    account = SipAccount{};
}

void Gateway::onUnregisterResponse(int status, const char* phrase, nua_handle_s* handle, const sip_s* sip) {
    auto unregistering = unregistering_.find(handle);
    if (unregistering != unregistering_.end() && (status == 401 || status == 407) &&
        authenticate(unregistering->second, handle, sip, unregistering->second.authAttempts))
        return;
    auto session = sessionOf(handle);  // null when the handle went away while unregistering
    std::string aor;  // the account is already reset: name it from what unregister() kept
    if (unregistering != unregistering_.end()) {
        aor = unregistering->second.aor;
        unregistering_.erase(unregistering);
    }
    handles_.erase(handle);
    stack_.retire(handle);
    if (!session)
        return;
    // A refusal is reported as such: the registrar still has the binding until it expires.
    Json event = result(status < 300 ? "unregistered" : "unregistration_failed");
    if (!aor.empty())
        event.set("username", aor);
    if (status >= 300)
        event.set("code", status).set("reason", phrase ? phrase : "");
    emit(*session, event);
}

// ---------------------------------------------------------------- events

void Gateway::onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                      const void* tags) {
    if (onKeptEvent(event, status, phrase, handle, sip, tags))  // kept registrations (gateway_keep.cpp)
        return;
    if (onHeldXmppEvent(event, handle, tags))  // INVITEs to XMPP users waiting for a handle
        return;
    if (event == nua_i_invite && !handles_.count(handle)) {
        onIncomingInvite(handle, sip);
        return;
    }
    if (event == nua_i_message) {
        onIncomingMessage(handle, sip);
        return;
    }
    if (event == nua_r_unregister && unregistering_.count(handle)) {
        if (status >= 200)
            onUnregisterResponse(status, phrase, handle, sip);
        return;
    }
    auto session = sessionOf(handle);
    if (!session) {
        // Its web user went: nothing of ours uses the handle any more.
        if (handles_.erase(handle))
            stack_.retire(handle);
        return;
    }
    if (FileCall* file = fileOf(*session, handle)) {  // a file offered to the web user (gateway_files.cpp)
        onFileCallEvent(*session, *file, event, status, phrase, sip, tags);
        return;
    }
    switch (event) {
    case nua_r_register:
        onRegisterResponse(*session, status, phrase, handle, sip);
        break;
    case nua_r_unregister:
        if (status >= 200)
            onUnregisterResponse(status, phrase, handle, sip);
        break;
    case nua_r_invite:
        if (handle == session->call.handle)
            onInviteResponse(*session, status, phrase, sip);
        break;
    case nua_i_invite:
        if (handle == session->call.handle && session->call.state == CallState::Established)
            onReInvite(*session, sip);
        break;
    case nua_i_info:
        if (handle == session->call.handle)
            onInfo(*session, sip);
        nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        break;
    case nua_r_message: {
        if (status < 200)
            break;
        // Sofia's resolver failing on our stack's family comes as its own 503 "DNS Error".
        if (status == 503 && (!sip || (phrase && std::strcmp(phrase, "DNS Error") == 0)) &&
            resendOnOtherFamily(*session, handle))
            break;
        outgoingMessages_.erase(handle);
        Json delivery = result("messagedelivery");
        delivery.set("code", status).set("reason", phrase ? phrase : "");
        events_(*session, callIdOf(sip), delivery, Json());
        if (handle != session->call.handle) {
            handles_.erase(handle);
            stack_.retire(handle);
        }
        break;
    }
    case nua_i_refer:
        if (handle == session->call.handle && session->call.state == CallState::Established)
            onRefer(*session, handle, sip);
        else
            nua_respond(handle, 481, sip_481_No_transaction, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        break;
    case nua_i_notify:
        if (handle == session->call.handle)
            onReferNotify(*session, sip, tags);
        break;
    case nua_r_refer:
        if (handle == session->call.handle && status >= 200) {
            Json refer = result(status < 300 ? "transfer_accepted" : "transfer_failed");
            refer.set("code", status).set("reason", phrase ? phrase : "");
            emit(*session, refer);
        }
        break;
    case nua_i_bye:
        if (handle == session->call.handle) {
            session->call.hangupReported = true;
            Json hungUp = result("hangup");
            hungUp.set("code", 200).set("reason", "BYE");
            emit(*session, hungUp);
        }
        break;
    case nua_i_cancel:
        if (handle == session->call.handle) {
            session->call.hangupReported = true;
            // A forked call another device answered (RFC 3326 Reason, cause 200): not missed.
            if (sip && sip->sip_reason && sip->sip_reason->re_cause && std::strcmp(sip->sip_reason->re_cause, "200") == 0)
                session->call.answeredElsewhere = true;
            Json cancelled = result("hangup");
            cancelled.set("code", 487).set("reason", "Request Terminated");
            emit(*session, cancelled);
        }
        break;
    case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated && handle == session->call.handle)
            endCall(*session, status >= 300 ? status : 200, phrase ? phrase : "BYE");
        break;
    }
    default:
        if (status >= 300)
            SYLK_LOG(LOG_VERB, kPackage, "%s: %d %s", nua_event_name(static_cast<nua_event_t>(event)), status,
                     phrase ? phrase : "");
        break;
    }
}

Json Gateway::status() const {
    Json json = Json::object();
    json.set("accounts", accounts_.load())
        .set("active_calls", calls_.load())
        .set("calls_placed", static_cast<json_int_t>(callsPlaced_.load()))
        .set("calls_received", static_cast<json_int_t>(callsReceived_.load()))
        .set("calls_transcoded", static_cast<json_int_t>(callsTranscoded_.load()))
        .set("rtp_legs", static_cast<json_int_t>(receiver_.size()));
    json.set("kept_registrations", keptCount_.load()).set("kept_registered", keptRegistered_.load());
    json.set("held_xmpp_invites", heldXmppCount_.load())
        .set("held_xmpp_expired", static_cast<json_int_t>(heldXmppExpired_.load()));
    return json;
}

}  // namespace sylk::sip
