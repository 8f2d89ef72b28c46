#include "xmpp_interworking.hpp"

#include <glib.h>

#include "sofia.hpp"

#include <algorithm>
#include <cctype>

#include "imdn.hpp"
#include "pidf.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {
namespace {

constexpr char kPackage[] = "janus.plugin.sylk.sip";
// How long a MESSAGE to an XMPP user may wait for the xmpp plugin's outcome (it answers within
// its bounce wait, a second by default) before we answer 504 ourselves.
constexpr int64_t kHoldMicros = 10 * G_USEC_PER_SEC;

std::string text(const Json& json, const char* key) {
    json_t* value = json.member(key);
    return json_is_string(value) ? json_string_value(value) : "";
}

int64_t integer(const Json& json, const char* key) {
    json_t* value = json.member(key);
    return json_is_integer(value) ? static_cast<int64_t>(json_integer_value(value)) : 0;
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Sofia keeps the phrase pointer for retransmissions: only static strings.
const char* phraseOf(int status) {
    switch (status) {
    case 200: return sip_200_OK;
    case 400: return sip_400_Bad_request;
    case 401: return sip_401_Unauthorized;
    case 403: return sip_403_Forbidden;
    case 404: return sip_404_Not_found;
    case 405: return sip_405_Method_not_allowed;
    case 406: return sip_406_Not_acceptable;
    case 408: return sip_408_Request_timeout;
    case 410: return sip_410_Gone;
    case 413: return sip_413_Request_too_large;
    case 415: return sip_415_Unsupported_media;
    case 480: return sip_480_Temporarily_unavailable;
    case 491: return sip_491_Request_pending;
    case 503: return sip_503_Service_unavailable;
    case 504: return sip_504_Gateway_time_out;
    default: return status < 300 ? sip_200_OK : status < 500 ? sip_400_Bad_request : sip_500_Internal_server_error;
    }
}

}  // namespace

XmppInterworking::XmppInterworking(SipStack& stack, XmppInterworkingSettings settings)
    : stack_(stack), settings_(std::move(settings)) {}

// close() answered every held MESSAGE while the stack ran; one that arrived after it is not
// touched here: the Sofia stacks are gone by now, and their memory with them.
XmppInterworking::~XmppInterworking() = default;

bool XmppInterworking::claims(int event, nua_handle_s* handle, const sip_s* sip) {
    if (sent_.count(handle) || watches_.count(handle) || outSubscriptions_.count(handle))
        return true;
    if ((event != nua_i_message && event != nua_i_subscribe) || settings_.domains.empty() || !sip || !sip->sip_request ||
        !sip->sip_request->rq_url->url_host)
        return false;
    std::string host = lower(sip->sip_request->rq_url->url_host);
    return std::find(settings_.domains.begin(), settings_.domains.end(), host) != settings_.domains.end();
}

void XmppInterworking::onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                               const void* tags) {
    if (auto out = outSubscriptions_.find(handle); out != outSubscriptions_.end()) {
        int64_t token = out->second;
        if (event == nua_i_notify) {
            // Sofia answers the NOTIFY itself; we read its state and its PIDF.
            int state = nua_substate_active;
            tl_gets(static_cast<const tagi_t*>(tags), NUTAG_SUBSTATE_REF(state), TAG_END());
            bool ended = state == nua_substate_terminated;
            auto pidf = contentTypeOf(sip) == "application/pidf+xml" ? parsePidf(bodyOf(sip)) : std::nullopt;
            if (pidf || ended)
                tellXmppPresence(token, pidf && pidf->open, pidf ? pidf->note : "", ended);
            if (ended)
                endOutSubscription(handle);
        } else if ((event == nua_r_subscribe && status >= 300) || event == nua_r_unsubscribe ||
                   event == nua_i_terminated) {
            if (event == nua_r_subscribe)
                tellXmppPresence(token, false, "", true);
            endOutSubscription(handle);
        }
        return;
    }
    if (event == nua_i_message)
        onIncomingMessage(handle, sip);
    else if (event == nua_r_message)
        onMessageResponse(handle, status, phrase);
    else if (event == nua_i_subscribe)
        onSubscribe(handle, sip);
    else if (event == nua_r_notify && status >= 300)
        dropWatch(handle, true);  // the subscriber is gone (481...)
    else if (event == nua_i_terminated)
        dropWatch(handle, true);
}

// ---------------------------------------------------------------- SIP to XMPP

void XmppInterworking::onIncomingMessage(nua_handle_s* handle, const sip_s* sip) {
    std::string body = bodyOf(sip);
    std::string type = contentTypeOf(sip);
    auto refuse = [&](int status, const char* phrase, const std::string& reason) {
        ++refused_;
        stack_.refuse(handle, status, phrase, reason);
    };
    if (body.empty()) {
        refuse(400, sip_400_Bad_request, "the MESSAGE has no body");
        return;
    }
    if (body.size() > settings_.maxBodyBytes) {
        refuse(413, sip_413_Request_too_large, "the body is longer than " + std::to_string(settings_.maxBodyBytes) + " bytes");
        return;
    }
    Json request = Json::object();
    request.set("from", fromUri(sip)).set("to", uriOfHeader(sip->sip_request->rq_url)).set("display", displayOf(sip));
    if (type == "application/im-iscomposing+xml") {
        auto state = parseIsComposing(body);
        if (!state) {
            refuse(400, sip_400_Bad_request, "malformed is-composing document");
            return;
        }
        request.set("kind", "composing").set("state", *state);
    } else if (type == "message/cpim") {
        std::string why;
        auto cpim = cpim::parseCpim(body, &why, settings_.maxBodyBytes);
        if (!cpim) {
            refuse(400, sip_400_Bad_request, "malformed CPIM: " + why);
            return;
        }
        std::string inner = lower(cpim->contentType);
        if (inner.rfind("message/imdn+xml", 0) == 0) {
            auto notification = parseImdnXml(cpim->body);
            if (!notification) {
                refuse(400, sip_400_Bad_request, "malformed IMDN document");
                return;
            }
            if (notification->status != "delivered" && notification->status != "displayed") {
                nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
                stack_.retire(handle);  // failed/forbidden/error: XMPP receipts have no such notice
                return;
            }
            request.set("kind", "receipt").set("receipt", notification->status).set("id", notification->messageId);
        } else if (inner.rfind("text/plain", 0) == 0 || inner.empty()) {
            std::string wanted = cpim->header("imdn.Disposition-Notification");
            request.set("kind", "message").set("body", cpim->body).set("id", cpim->header("imdn.Message-ID"))
                .setBool("request_receipt", wanted.find("positive-delivery") != std::string::npos ||
                                                wanted.find("display") != std::string::npos);
        } else {
            refuse(415, sip_415_Unsupported_media, "XMPP users take text/plain inside CPIM, not " + inner);
            return;
        }
    } else if (type == "text/plain" || type.empty()) {
        request.set("kind", "message").set("body", body);
    } else {
        ++refused_;
        nua_respond(handle, 415, sip_415_Unsupported_media, NUTAG_WITH_THIS(stack_.nua()),
                    SIPTAG_ACCEPT_STR("text/plain, message/cpim, application/im-iscomposing+xml"),
                    SIPTAG_WARNING_STR("399 sylk \"XMPP users take text/plain, message/cpim or is-composing\""), TAG_END());
        stack_.retire(handle);
        return;
    }
    int64_t token = nextToken_++;
    request.set("token", static_cast<json_int_t>(token));
    Held& held = held_[token];
    held.handle = handle;
    held.deadline = g_get_monotonic_time() + kHoldMicros;
    nua_save_event(stack_.nua(), held.saved);
    heldCount_ = held_.size();
    try {
        hub::Services::instance().call(hub::service::XmppStoxMessage, request);
        ++toXmpp_;
    } catch (const std::exception& e) {
        respond(token, 503, std::string("XMPP is not reachable: ") + e.what());
    }
}

void XmppInterworking::respond(int64_t token, int status, const std::string& reason) {
    auto it = held_.find(token);
    if (it == held_.end())
        return;
    Held held = it->second;
    held_.erase(it);
    heldCount_ = held_.size();
    std::string clean;  // a quoted-string's text: no quotes, backslashes or control characters
    for (char c : reason) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20)
            clean += c;
    }
    std::string warning = "399 sylk \"" + clean + "\"";
    if (status >= 300)
        ++refused_;
    nua_respond(held.handle, status, phraseOf(status), NUTAG_WITH_SAVED(held.saved),
                TAG_IF(status >= 300 && !clean.empty(), SIPTAG_WARNING_STR(warning.c_str())), TAG_END());
    nua_destroy_event(held.saved);
    stack_.retire(held.handle);
}

void XmppInterworking::xmppAnswered(const Json& answer) {
    int status = static_cast<int>(integer(answer, "status"));
    respond(integer(answer, "token"), status < 200 || status > 699 ? 500 : status, text(answer, "reason"));
}

void XmppInterworking::onTick() {
    std::vector<nua_handle_s*> ended;
    for (auto& [handle, watch] : watches_) {
        if (!watch.dirty)
            continue;
        watch.dirty = false;
        std::string pidf = buildPidf(watch.entity, watch.open, watch.note);
        nua_notify(handle, NUTAG_SUBSTATE(watch.ending ? nua_substate_terminated : nua_substate_active),
                   SIPTAG_EVENT_STR("presence"), SIPTAG_CONTENT_TYPE_STR("application/pidf+xml"),
                   SIPTAG_PAYLOAD_STR(pidf.c_str()), TAG_END());
        if (watch.ending)
            ended.push_back(handle);
    }
    for (nua_handle_s* handle : ended)
        dropWatch(handle, false);
    int64_t now = g_get_monotonic_time();
    std::vector<int64_t> late;
    for (const auto& [token, held] : held_) {
        if (held.deadline <= now)
            late.push_back(token);
    }
    for (int64_t token : late)
        respond(token, 504, "no answer from the XMPP gateway");
}

// ---------------------------------------------------------------- presence (RFC 7248)

void XmppInterworking::tellXmppSubscription(int64_t token, const std::string& from, const std::string& to,
                                            bool subscribe) {
    Json request = Json::object();
    request.set("token", static_cast<json_int_t>(token)).set("from", from).set("to", to).setBool("subscribe", subscribe);
    hub::Services::instance().call(hub::service::XmppStoxSubscribe, request);
}

void XmppInterworking::onSubscribe(nua_handle_s* handle, const sip_s* sip) {
    std::string event = sip && sip->sip_event && sip->sip_event->o_type ? sip->sip_event->o_type : "";
    if (event != "presence") {
        ++refused_;
        stack_.refuse(handle, 489, sip_489_Bad_event, "XMPP users take Event: presence");
        return;
    }
    unsigned expires = sip->sip_expires ? static_cast<unsigned>(sip->sip_expires->ex_delta) : 3600;
    expires = std::min(expires, 3600u);
    bool ending = expires == 0;
    auto it = watches_.find(handle);
    if (it == watches_.end()) {
        Watch watch;
        watch.entity = uriOfHeader(sip->sip_request->rq_url);
        watch.token = nextToken_++;
        try {
            // A fetch (Expires: 0 on a new subscription) still asks: the NOTIFY says closed
            // unless the XMPP side already knew the user's presence.
            tellXmppSubscription(watch.token, fromUri(sip), watch.entity, !ending);
        } catch (const std::exception& e) {
            ++refused_;
            stack_.refuse(handle, 503, sip_503_Service_unavailable, std::string("XMPP is not reachable: ") + e.what());
            return;
        }
        watchTokens_[watch.token] = handle;
        it = watches_.emplace(handle, std::move(watch)).first;
        watchCount_ = watches_.size();
    } else if (ending) {
        try {
            tellXmppSubscription(it->second.token, fromUri(sip), it->second.entity, false);
        } catch (const std::exception&) {
            // the xmpp plugin is gone: nothing to unsubscribe there
        }
    }
    it->second.ending = ending;
    it->second.dirty = true;  // the NOTIFY goes on the next tick, after this 202
    std::string contact = stack_.contactFor(requestUser(sip), stack_.currentListener());
    std::string expiresText = std::to_string(expires);
    nua_respond(handle, ending ? 200 : 202, ending ? sip_200_OK : sip_202_Accepted, NUTAG_WITH_THIS(stack_.nua()),
                SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_EXPIRES_STR(expiresText.c_str()), TAG_END());
}

void XmppInterworking::dropWatch(nua_handle_s* handle, bool tellXmpp) {
    auto it = watches_.find(handle);
    if (it == watches_.end())
        return;
    if (tellXmpp && !it->second.ending) {
        try {
            tellXmppSubscription(it->second.token, "", it->second.entity, false);
        } catch (const std::exception&) {
            // the xmpp plugin is gone
        }
    }
    watchTokens_.erase(it->second.token);
    watches_.erase(it);
    watchCount_ = watches_.size();
    stack_.retire(handle);
}

void XmppInterworking::presenceFromXmpp(const Json& presence) {
    auto token = watchTokens_.find(integer(presence, "token"));
    if (token == watchTokens_.end())
        return;
    Watch& watch = watches_.at(token->second);
    watch.open = json_is_true(presence.member("open"));
    watch.note = text(presence, "note");
    watch.ending = watch.ending || json_is_true(presence.member("end"));
    watch.dirty = true;
}

void XmppInterworking::tellXmppPresence(int64_t token, bool open, const std::string& note, bool end) {
    Json presence = Json::object();
    presence.set("token", static_cast<json_int_t>(token)).setBool("open", open).set("note", note).setBool("end", end);
    try {
        hub::Services::instance().call(hub::service::XmppStoxPresence, presence);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "presence to the xmpp plugin: %s", e.what());
    }
}

void XmppInterworking::endOutSubscription(nua_handle_s* handle) {
    auto it = outSubscriptions_.find(handle);
    if (it == outSubscriptions_.end())
        return;
    outTokens_.erase(it->second);
    outSubscriptions_.erase(it);
    stack_.retire(handle);
}

void XmppInterworking::subscribeToSip(const Json& request) {
    int64_t token = integer(request, "token");
    if (!json_is_true(request.member("subscribe"))) {
        auto it = outTokens_.find(token);
        if (it != outTokens_.end())
            nua_unsubscribe(it->second, TAG_END());  // its answer ends it (nua_r_unsubscribe)
        return;
    }
    std::string from = text(request, "from");
    std::string to = text(request, "to");
    if (from.rfind("sip:", 0) != 0 || to.rfind("sip:", 0) != 0 || outTokens_.count(token)) {
        tellXmppPresence(token, false, "", true);
        return;
    }
    int listener = stack_.listenerFor(settings_.outboundProxy.empty() ? to : settings_.outboundProxy);
    std::string fromHeader = "<" + from + ">";
    nua_handle_s* handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(to.c_str()),
                                      SIPTAG_FROM_STR(fromHeader.c_str()), TAG_END());
    if (!handle) {
        tellXmppPresence(token, false, "", true);
        return;
    }
    stack_.adopt(handle);
    outSubscriptions_[handle] = token;
    outTokens_[token] = handle;
    // Our Contact in the XMPP user's name, plain sip: on the listener used (Sofia would pick its
    // sips: one when TLS is configured, which a UDP presence server cannot NOTIFY).
    std::string user = from.substr(4, from.find('@') == std::string::npos ? 0 : from.find('@') - 4);
    std::string contact = stack_.contactFor(user, listener);
    nua_subscribe(handle, SIPTAG_EVENT_STR("presence"), SIPTAG_ACCEPT_STR("application/pidf+xml"),
                  SIPTAG_EXPIRES_STR("3600"), SIPTAG_CONTACT_STR(contact.c_str()),
                  TAG_IF(!settings_.outboundProxy.empty(), NUTAG_PROXY(settings_.outboundProxy.c_str())), TAG_END());
}

// ---------------------------------------------------------------- XMPP to SIP

void XmppInterworking::answerXmpp(int64_t token, int status, const std::string& reason) {
    if (token == 0)
        return;
    Json answer = Json::object();
    answer.set("token", static_cast<json_int_t>(token)).set("status", status).set("reason", reason);
    try {
        hub::Services::instance().call(hub::service::XmppStoxAnswer, answer);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "answering the xmpp plugin: %s", e.what());
    }
}

void XmppInterworking::sendToSip(const Json& request) {
    int64_t token = integer(request, "token");
    std::string from = text(request, "from");
    std::string to = text(request, "to");
    std::string kind = text(request, "kind");
    std::string contentType = "text/plain";
    std::string body;
    if (kind == "message") {
        body = text(request, "body");
        std::string id = text(request, "id");
        if (json_is_true(request.member("request_receipt")) && !id.empty()) {
            // The XMPP sender asked for a receipt (XEP-0184/0333): an IMDN request (RFC 5438)
            // under the same message id, so the notification maps back to its <received id/>.
            cpim::CpimMessage cpim;
            cpim.from = "<" + from + ">";
            cpim.to = "<" + to + ">";
            cpim.dateTime = cpim::cpimNow();
            cpim.headers = {{"NS", "imdn <urn:ietf:params:imdn>"},
                            {"imdn.Message-ID", id},
                            {"imdn.Disposition-Notification", "positive-delivery, display"}};
            cpim.body = body;
            contentType = "message/cpim";
            body = cpim::buildCpim(cpim);
        }
    } else if (kind == "composing") {
        contentType = "application/im-iscomposing+xml";
        body = buildIsComposing(text(request, "state") == "active");
    } else if (kind == "receipt") {
        cpim::CpimMessage original;  // what the notice answers, as imdnReply wants it
        original.from = "<" + to + ">";
        original.headers = {{"imdn.Message-ID", text(request, "id")},
                            {"imdn.Disposition-Notification", "positive-delivery, display"}};
        auto reply = imdnReply(original, text(request, "receipt"), "<" + from + ">");
        if (!reply) {
            answerXmpp(token, 400, "a notification without a message id");
            return;
        }
        contentType = "message/cpim";
        body = cpim::buildCpim(*reply);
    } else {
        answerXmpp(token, 400, "unknown kind");
        return;
    }
    if (body.empty() || from.rfind("sip:", 0) != 0 || to.rfind("sip:", 0) != 0) {
        answerXmpp(token, 400, "empty message or not SIP addresses");
        return;
    }
    int listener = stack_.listenerFor(settings_.outboundProxy.empty() ? to : settings_.outboundProxy);
    std::string fromHeader = "<" + from + ">";
    nua_handle_s* handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(to.c_str()),
                                      SIPTAG_FROM_STR(fromHeader.c_str()), TAG_END());
    if (!handle) {
        answerXmpp(token, 500, "the SIP stack could not send");
        return;
    }
    stack_.adopt(handle);
    sent_[handle] = token;
    ++fromXmpp_;
    nua_message(handle, SIPTAG_CONTENT_TYPE_STR(contentType.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()),
                TAG_IF(!settings_.outboundProxy.empty(), NUTAG_PROXY(settings_.outboundProxy.c_str())), TAG_END());
}

void XmppInterworking::onMessageResponse(nua_handle_s* handle, int status, const char* phrase) {
    if (status < 200)
        return;
    auto it = sent_.find(handle);
    if (it == sent_.end())
        return;
    int64_t token = it->second;
    sent_.erase(it);
    stack_.retire(handle);
    answerXmpp(token, status, phrase ? phrase : "");
}

void XmppInterworking::close() {
    for (auto& [handle, token] : outSubscriptions_)
        nua_unsubscribe(handle, TAG_END());
    for (auto& [handle, watch] : watches_) {
        try {
            tellXmppSubscription(watch.token, "", watch.entity, false);
        } catch (const std::exception&) {
            // the xmpp plugin is gone
        }
    }
    std::vector<int64_t> tokens;
    for (const auto& [token, held] : held_)
        tokens.push_back(token);
    for (int64_t token : tokens)
        respond(token, 503, "the SIP plugin is stopping");
}

Json XmppInterworking::status() const {
    Json domains = Json::array();
    for (const auto& domain : settings_.domains)
        domains.append(Json::adopt(json_string(domain.c_str())));
    Json json = Json::object();
    json.set("domains", domains)
        .set("to_xmpp", static_cast<json_int_t>(toXmpp_.load()))
        .set("from_xmpp", static_cast<json_int_t>(fromXmpp_.load()))
        .set("held", static_cast<json_int_t>(heldCount_.load()))
        .set("presence_subscriptions", static_cast<json_int_t>(watchCount_.load()))
        .set("refused", static_cast<json_int_t>(refused_.load()));
    return json;
}

}  // namespace sylk::sip
