// Kept registrations (issue 13, offline delivery without proxy help): an account registered with
// "keep_registered": true stays registered after its last handle goes, and after a restart (its
// credentials sealed in the credential vault). From the start on, before its REGISTER is
// answered, the gateway owns a kept account's Contact: a MESSAGE to it is this account's (never
// room chat), journaled before its 200. While kept, a MESSAGE to it is journaled and
// answered 200 (synced when a browser registers the account again) and pushed to its phones;
// an INVITE rings (180) while a voip push wakes them, then 480. A browser registering the same
// account with the same credentials takes the registration over (and a call still ringing, the
// woken app's way to answer it); unregister ends it and deletes the stored credentials. The secret is never logged.
#include "gateway.hpp"

#include <glib.h>
#include <cstring>
#include <openssl/crypto.h>

#include "sofia.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

Json recordOf(const SipAccount& account) {
    Json record = Json::object();
    record.set("aor", account.aor).set("user", account.user).set("auth_user", account.authUser)
        .set("secret", account.secret).setBool("ha1", account.secretIsHa1).set("display_name", account.displayName)
        .set("registrar", account.registrar).set("outbound_proxy", account.outboundProxy)
        .set("contact_user", account.contactUser).set("ttl", account.ttl);
    return record;
}

std::string text(const Json& record, const char* key) {
    json_t* value = record.member(key);
    return json_is_string(value) ? json_string_value(value) : "";
}

bool sameSecret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void Gateway::storeKept(const SipAccount& account) {
    if (!vault_)
        return;
    try {
        vault_->save(account.aor, recordOf(account).dump());
    } catch (const store::CredentialVaultError& e) {
        SYLK_LOG(LOG_ERR, kPackage, "%s: the kept registration's credentials could not be stored: %s",
                 account.aor.c_str(), e.what());
    }
}

void Gateway::countKept() {
    int registered = 0;
    for (const auto& [handle, account] : kept_)
        registered += account.registered ? 1 : 0;
    keptCount_ = static_cast<int>(kept_.size());
    keptRegistered_ = registered;
}

void Gateway::forgetKept(const std::string& aor) {
    std::erase_if(keptContacts_, [&](const auto& contact) { return contact.second == aor; });
    if (vault_ && vault_->remove(aor))
        SYLK_LOG(LOG_INFO, kPackage, "%s: no longer kept registered; its stored credentials are deleted", aor.c_str());
}

bool Gateway::keepOnLeave(GatewaySession& session) {
    SipAccount& account = session.account;
    if (!account.keep || !account.registered || !account.registration || !vault_)
        return false;
    contacts_.erase(account.contactUser);
    handles_.erase(account.registration);
    --accounts_;
    keptContacts_[account.contactUser] = account.aor;
    kept_[account.registration] = account;
    countKept();
    SYLK_LOG(LOG_INFO, kPackage, "%s: kept registered with no browser connected", account.aor.c_str());
    account = SipAccount{};
    return true;
}

std::optional<Json> Gateway::takeOverKept(const std::shared_ptr<GatewaySession>& session,
                                          const RegisterRequest& request) {
    auto found = kept_.begin();
    for (; found != kept_.end(); ++found) {
        if (found->second.aor == request.username)
            break;
    }
    if (found == kept_.end())
        return std::nullopt;
    const SipAccount& kept = found->second;
    // Only with the credentials it was kept with: a page may not borrow a registration it could
    // not have made itself.
    std::string secret = request.ha1Secret ? *request.ha1Secret : request.secret.value_or("");
    std::string user = kept.user;
    if (!sameSecret(secret, kept.secret) || request.ha1Secret.has_value() != kept.secretIsHa1 ||
        request.authUser.value_or(user) != kept.authUser)
        throw RequestError(ErrorCode::SipAlreadyRegistered,
                           request.username + " is kept registered with other credentials (unregister it first)");
    SipAccount& account = session->account;
    account = kept;
    account.keep = request.keep.value_or(true);
    account.displayName = request.displayName.value_or(kept.displayName);
    nua_handle_s* registration = found->first;
    kept_.erase(found);
    countKept();
    keptContacts_.erase(account.contactUser);
    contacts_[account.contactUser] = session;
    handles_[registration] = session;
    ++accounts_;
    if (!account.keep)
        forgetKept(account.aor);
    SYLK_LOG(LOG_INFO, kPackage, "%s: a browser took over the kept registration", account.aor.c_str());
    // An app woken by the incoming_session push registers to take the call: after the
    // registered answer, the call still ringing is its incomingcall.
    std::string aor = account.aor;
    stack_.post([this, aor] { handKeptRingsTo(aor); });
    Json registered = result("registered");
    registered.set("username", account.aor).setBool("register_sent", true).set("contact_user", account.contactUser)
        .setBool("kept", true).setBool("keep_registered", account.keep);
    return registered;
}

void Gateway::loadKeptAccounts() {
    if (!vault_)
        return;
    std::vector<std::string> skipped;
    std::vector<std::string> records;
    try {  // at janus's start: a vault that cannot be read costs the kept accounts, not the plugin
        records = vault_->loadAll(&skipped);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kPackage, "the kept registrations could not be read: %s", e.what());
    }
    for (const auto& name : skipped)
        SYLK_LOG(LOG_WARN, kPackage, "kept registration %s does not open with this server key: skipped", name.c_str());
    for (const auto& stored : records) {
        Json record = Json::parse(stored);  // not JSON (only a bug could seal one): no aor, skipped below
        SipAccount account;
        account.active = true;
        account.keep = true;
        account.aor = text(record, "aor");
        account.user = text(record, "user");
        account.authUser = text(record, "auth_user");
        account.secret = text(record, "secret");
        account.secretIsHa1 = json_is_true(record.member("ha1"));
        account.displayName = text(record, "display_name");
        account.registrar = text(record, "registrar");
        account.outboundProxy = text(record, "outbound_proxy");
        account.contactUser = text(record, "contact_user");
        json_t* ttl = record.member("ttl");
        account.ttl = json_is_integer(ttl) ? static_cast<int>(json_integer_value(ttl)) : 3600;
        if (account.aor.empty() || account.contactUser.empty())
            continue;
        keptContacts_[account.contactUser] = account.aor;
        loadedKept_.push_back(std::move(account));
    }
}

void Gateway::restoreKeptAccounts() {
    std::vector<SipAccount> loaded;
    loaded.swap(loadedKept_);
    for (auto& account : loaded) {
        std::string from = account.displayName.empty() ? "<" + account.aor + ">" : "\"" + account.displayName + "\" <" + account.aor + ">";
        account.listener = stack_.listenerFor(!account.outboundProxy.empty() ? account.outboundProxy
                                              : !account.registrar.empty()   ? account.registrar
                                                                             : account.aor);
        account.registration = nua_handle(stack_.nua(account.listener), nullptr, SIPTAG_FROM_STR(from.c_str()),
                                          SIPTAG_TO_STR(account.aor.c_str()), TAG_END());
        if (!account.registration) {
            SYLK_LOG(LOG_ERR, kPackage, "%s: the kept registration could not be made", account.aor.c_str());
            continue;
        }
        stack_.adopt(account.registration);
        std::string expires = std::to_string(account.ttl);
        // The same Contact as before the restart: the registrar replaces its binding.
        nua_register(account.registration, NUTAG_M_USERNAME(account.contactUser.c_str()),
                     TAG_IF(!stack_.settings().contactParams.empty(), NUTAG_M_PARAMS(stack_.settings().contactParams.c_str())),
                     TAG_IF(!account.displayName.empty(), NUTAG_M_DISPLAY(account.displayName.c_str())),
                     TAG_IF(!account.registrar.empty(), NUTAG_REGISTRAR(account.registrar.c_str())),
                     TAG_IF(!account.outboundProxy.empty(), NUTAG_PROXY(account.outboundProxy.c_str())),
                     SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
        kept_[account.registration] = account;
        SYLK_LOG(LOG_INFO, kPackage, "%s: registering again (kept registration)", account.aor.c_str());
    }
    countKept();
}

std::string Gateway::keptAccountFor(const sip_s* sip) const {
    auto contact = keptContacts_.find(requestUser(sip));
    return contact == keptContacts_.end() ? "" : contact->second;
}

bool Gateway::isKeptRing(nua_handle_s* handle) const {
    for (const auto& ring : keptRings_) {
        if (ring.handle == handle)
            return true;
    }
    return false;
}

bool Gateway::onKeptEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                          const void* tags) {
    auto kept = kept_.find(handle);
    if (kept != kept_.end()) {
        SipAccount& account = kept->second;
        if ((event != nua_r_register && event != nua_r_unregister) || status < 200)
            return true;
        if (status < 300) {
            account.authAttempts = 0;
            account.registered = true;
            countKept();
            return true;
        }
        if ((status == 401 || status == 407) && authenticate(account, handle, sip, account.authAttempts))
            return true;
        // Refused or unreachable: dropped until the next start (the credentials stay stored, and
        // with them the account: a request that still reaches its Contact is journaled).
        SYLK_LOG(LOG_WARN, kPackage, "%s: the kept registration failed: %d %s", account.aor.c_str(), status,
                 phrase ? phrase : "");
        kept_.erase(kept);
        countKept();
        stack_.retire(handle);
        return true;
    }
    for (size_t i = 0; i < keptRings_.size(); ++i) {
        if (keptRings_[i].handle != handle)
            continue;
        if (event == nua_i_cancel) {
            // A forked call another device answered (RFC 3326 Reason, cause 200): not missed.
            const bool elsewhere = sip && sip->sip_reason && sip->sip_reason->re_cause &&
                                   std::strcmp(sip->sip_reason->re_cause, "200") == 0;
            endKeptRing(i, 0, "cancelled", elsewhere);
        } else if (event == nua_i_state) {
            int state = nua_callstate_init;
            tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
            if (state == nua_callstate_terminated)
                endKeptRing(i, 0, "ended");
        }
        return true;
    }
    if ((event == nua_i_invite || event == nua_i_message) && !handles_.count(handle)) {
        std::string aor = keptAccountFor(sip);
        if (aor.empty())
            return false;
        if (event == nua_i_message)
            onOfflineMessage(handle, sip, aor);
        else
            onKeptInvite(aor, handle, sip);
        return true;
    }
    return false;
}

void Gateway::onKeptInvite(const std::string& aor, nua_handle_s* handle, const sip_s* sip) {
    KeptRing ring;
    ring.handle = handle;
    ring.account = pushAccountOf(aor);
    ring.callId = callIdOf(sip);
    ring.caller = fromUri(sip);
    ring.aor = aor;
    ring.listener = stack_.currentListener();
    ring.request = std::shared_ptr<msg_s>(msg_ref_create(nua_current_request(stack_.nua())), msg_destroy);
    ring.deadlineUs = g_get_monotonic_time() + static_cast<int64_t>(keptRingSeconds_) * G_USEC_PER_SEC;
    ring.startedUs = g_get_real_time();
    nua_respond(handle, 180, sip_180_Ringing, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
    keptRings_.push_back(ring);
    SYLK_LOG(LOG_INFO, kPackage, "%s: a call to the kept registration rings for %d s (pushed to its phones)",
             aor.c_str(), keptRingSeconds_);
    pushCallTo(ring.account, push::PushEvent::Kind::IncomingCall, ring.callId, ring.caller, "");
}

void Gateway::handKeptRingsTo(const std::string& aor) {
    for (size_t i = 0; i < keptRings_.size();) {
        if (keptRings_[i].aor != aor || !keptRings_[i].request) {
            ++i;
            continue;
        }
        KeptRing ring = keptRings_[i];
        keptRings_.erase(keptRings_.begin() + static_cast<std::ptrdiff_t>(i));
        SYLK_LOG(LOG_INFO, kPackage, "%s: the ringing call goes to the handle that took the account over", aor.c_str());
        // As any incoming call from here on: the handle accepts or declines; no ring bound.
        // The call history's entry is that call's (gateway_call_history.cpp), not the ring's.
        deliverInvite(ring.handle, sip_object(ring.request.get()), ring.listener, ring.startedUs);
    }
}

void Gateway::endKeptRing(size_t index, int status, const char* reason, bool answeredElsewhere) {
    KeptRing ring = keptRings_[index];
    keptRings_.erase(keptRings_.begin() + static_cast<std::ptrdiff_t>(index));
    if (status)
        nua_respond(ring.handle, status, sip_480_Temporarily_unavailable, TAG_END());
    pushCallTo(ring.account, push::PushEvent::Kind::Cancel, ring.callId, ring.caller, reason);
    if (!answeredElsewhere) {
        pushCallTo(ring.account, push::PushEvent::Kind::MissedCall, ring.callId, ring.caller, reason);
        recordKeptRing(ring, status ? status : 487, reason);
    }
    stack_.retire(ring.handle, 5);
}

void Gateway::checkKeptRings() {
    int64_t now = g_get_monotonic_time();
    for (size_t i = keptRings_.size(); i-- > 0;) {
        if (keptRings_[i].deadlineUs <= now)
            endKeptRing(i, 480, "no answer");
    }
}

void Gateway::pushCallTo(const std::string& account, push::PushEvent::Kind kind, const std::string& callId,
                         const std::string& caller, const std::string& reason) {
    if (!push_ || account.empty())
        return;
    push::PushEvent event;
    event.kind = kind;
    event.callId = callId;
    event.from = caller;
    event.to = account;
    event.reason = reason;
    event.mediaType = "audio";
    try {
        push_->notify(account, event);
    } catch (const std::exception& e) {  // the registry's database: the call goes on regardless
        SYLK_LOG(LOG_ERR, kPackage, "push for %s: %s", account.c_str(), e.what());
    }
}

}  // namespace sylk::sip
