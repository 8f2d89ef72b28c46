// SIP sessions to XMPP users (issue 12, RFC 7573): an INVITE whose request URI is in one of the
// XMPP domains goes to one of the xmpp plugin's waiting gateway handles (registered as guests
// with xmpp_sessions), which takes the called XMPP user's SIP address as its account and gets
// the call as any web user does (incomingcall, then accept or decline). The xmpp plugin keeps
// one handle waiting and makes the next when one is taken; an INVITE that finds none (two within
// the milliseconds that takes) is held until the next registers, so that every session gets a
// handle of its own. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include <algorithm>

#include "gateway_detail.hpp"
#include "sofia.hpp"

#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::sip {
namespace {

// How long an INVITE to an XMPP user waits for a handle: the xmpp plugin makes one in a few
// milliseconds; seconds mean it is stuck or gone, and the caller had better hear 480.
constexpr int kHeldXmppInviteSeconds = 5;
// INVITEs held at once: a burst beyond that is refused (480) rather than queued without bound.
constexpr size_t kMaxHeldXmppInvites = 64;

}  // namespace

bool Gateway::forXmppUser(const sip_s* sip) const {
    if (xmppDomains_.empty() || !sip || !sip->sip_request || !sip->sip_request->rq_url->url_host)
        return false;
    std::string host = sip->sip_request->rq_url->url_host;
    for (char& c : host)
        c = g_ascii_tolower(c);
    return std::find(xmppDomains_.begin(), xmppDomains_.end(), host) != xmppDomains_.end();
}

std::shared_ptr<GatewaySession> Gateway::takeXmppSession(const sip_s* sip) {
    while (!xmppSessions_.empty()) {
        auto session = xmppSessions_.front().lock();
        xmppSessions_.pop_front();
        if (!session || !session->account.active || session->call.state != CallState::Idle)
            continue;
        // The handle answers as the XMPP user called (its From in the answer, CPIM From of
        // its messages): sip:user@xmpp-domain of the request URI.
        session->account.aor = "sip:" + requestUser(sip) + "@" + sip->sip_request->rq_url->url_host;
        return session;
    }
    return nullptr;
}

bool Gateway::holdXmppInvite(nua_handle_s* handle, int listener) {
    // Without the xmpp plugin no handle will come: refused at once, as before.
    if (heldXmppInvites_.size() >= kMaxHeldXmppInvites || !hub::Services::instance().offered(hub::service::XmppStoxMessage))
        return false;
    msg_t* current = nua_current_request(stack_.nua());
    if (!current)
        return false;
    HeldXmppInvite held;
    held.handle = handle;
    held.listener = listener;
    held.request = std::shared_ptr<msg_s>(msg_ref_create(current), msg_destroy);
    held.deadlineUs = g_get_monotonic_time() + static_cast<int64_t>(kHeldXmppInviteSeconds) * G_USEC_PER_SEC;
    heldXmppInvites_.push_back(std::move(held));
    heldXmppCount_ = static_cast<int>(heldXmppInvites_.size());
    SYLK_LOG(LOG_VERB, gateway_detail::kPackage, "an INVITE to an XMPP user waits for the xmpp plugin's next handle (%zu waiting)",
             heldXmppInvites_.size());
    return true;
}

bool Gateway::isHeldXmppInvite(nua_handle_s* handle) const {
    return std::any_of(heldXmppInvites_.begin(), heldXmppInvites_.end(),
                       [handle](const HeldXmppInvite& held) { return held.handle == handle; });
}

bool Gateway::onHeldXmppEvent(int event, nua_handle_s* handle, const void* tags) {
    auto held = std::find_if(heldXmppInvites_.begin(), heldXmppInvites_.end(),
                             [handle](const HeldXmppInvite& h) { return h.handle == handle; });
    if (held == heldXmppInvites_.end())
        return false;
    int state = nua_callstate_init;
    if (event == nua_i_state)
        tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
    if (event == nua_i_cancel || state == nua_callstate_terminated) {  // Sofia answered 487 itself
        heldXmppInvites_.erase(held);
        heldXmppCount_ = static_cast<int>(heldXmppInvites_.size());
        stack_.retire(handle, 5);
    }
    return true;
}

bool Gateway::xmppSessionWaiting() {
    while (!xmppSessions_.empty()) {
        auto session = xmppSessions_.front().lock();
        if (session && session->account.active && session->call.state == CallState::Idle)
            return true;
        xmppSessions_.pop_front();  // gone or busy: takeXmppSession would skip it too
    }
    return false;
}

void Gateway::deliverHeldXmppInvites() {
    // One handle per INVITE, oldest first; deliverInvite takes it (takeXmppSession).
    while (!heldXmppInvites_.empty() && xmppSessionWaiting()) {
        HeldXmppInvite held = std::move(heldXmppInvites_.front());
        heldXmppInvites_.pop_front();
        heldXmppCount_ = static_cast<int>(heldXmppInvites_.size());
        deliverInvite(held.handle, sip_object(held.request.get()), held.listener, false);
    }
}

void Gateway::expireHeldXmppInvites() {
    int64_t now = g_get_monotonic_time();
    while (!heldXmppInvites_.empty() && heldXmppInvites_.front().deadlineUs <= now) {
        HeldXmppInvite held = std::move(heldXmppInvites_.front());
        heldXmppInvites_.pop_front();
        heldXmppCount_ = static_cast<int>(heldXmppInvites_.size());
        ++heldXmppExpired_;
        SYLK_LOG(LOG_WARN, gateway_detail::kPackage, "an INVITE to an XMPP user had no handle within %d s: 480", kHeldXmppInviteSeconds);
        nua_respond(held.handle, 480, sip_480_Temporarily_unavailable,
                    SIPTAG_WARNING_STR("399 sylk \"the XMPP gateway is not ready\""), TAG_END());
        stack_.retire(held.handle, 5);
    }
}

Json Gateway::ringing(GatewaySession& session) {
    using gateway_detail::result;
    SipCall& call = session.call;
    if (!session.account.xmppSessions)
        throw RequestError(ErrorCode::InvalidField, "ringing is for the xmpp plugin's handles (web users' calls ring at once)");
    if (call.state != CallState::Ringing || !call.incoming)
        throw RequestError(ErrorCode::SipWrongState, "no incoming call to ring");
    if (!call.ringSent) {  // one 180: every resource of the XMPP user may say it rings
        call.ringSent = true;
        nua_respond(call.handle, 180, sip_180_Ringing, TAG_END());
    }
    return result("ringingsent");
}

}  // namespace sylk::sip
