// SIP sessions to XMPP users (issue 12, RFC 7573): an INVITE whose request URI is in one of the
// XMPP domains goes to one of the xmpp plugin's waiting gateway handles (registered as guests
// with xmpp_sessions), which takes the called XMPP user's SIP address as its account and gets
// the call as any web user does (incomingcall, then accept or decline). The xmpp plugin keeps
// one handle waiting and makes the next when one is taken. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include <algorithm>

#include "gateway_detail.hpp"
#include "sofia.hpp"

#include "sip_message.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::sip {

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
