// Who may call rooms: room_callers address ranges, the room_secret digest challenge and its
// stateless nonces. Part of class ConferenceFocus (conference_focus.hpp).
#include "conference_focus.hpp"

#include <gio/gio.h>
#include <glib.h>

#include <string>
#include <vector>

#include "sofia.hpp"

#include "sip_message.hpp"
#include "sip_stack.hpp"

namespace sylk::sip {

// ---------------------------------------------------------------- who may call rooms

namespace {

bool inRanges(const std::string& address, const std::vector<std::string>& ranges) {
    GInetAddress* source = g_inet_address_new_from_string(address.c_str());
    if (!source)
        return false;
    bool found = false;
    for (const auto& range : ranges) {
        if (GInetAddressMask* mask = g_inet_address_mask_new_from_string(range.c_str(), nullptr)) {
            found = found || g_inet_address_mask_matches(mask, source);
            g_object_unref(mask);
        }
    }
    g_object_unref(source);
    return found;
}

std::string md5(const std::string& text) {
    gchar* digest = g_compute_checksum_for_string(G_CHECKSUM_MD5, text.c_str(), -1);
    std::string hex = digest;
    g_free(digest);
    return hex;
}

std::string unquote(const char* value) {
    std::string text = value ? value : "";
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
    return text;
}

}  // namespace

std::string ConferenceFocus::makeNonce() const {
    // "<seconds>-<HMAC of them>": verifiable later without remembering it.
    std::string stamp = std::to_string(g_get_real_time() / G_USEC_PER_SEC);
    gchar* mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(nonceKey_.data()),
                                           nonceKey_.size(), stamp.c_str(), -1);
    std::string nonce = stamp + "-" + std::string(mac).substr(0, 32);
    g_free(mac);
    return nonce;
}

bool ConferenceFocus::nonceFresh(const std::string& nonce) const {
    size_t dash = nonce.find('-');
    if (dash == std::string::npos || dash == 0 || dash > 12)
        return false;
    std::string stamp = nonce.substr(0, dash);
    for (char c : stamp) {
        if (!g_ascii_isdigit(c))
            return false;
    }
    gchar* mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(nonceKey_.data()),
                                           nonceKey_.size(), stamp.c_str(), -1);
    bool genuine = nonce.substr(dash + 1) == std::string(mac).substr(0, 32);
    g_free(mac);
    int64_t age = g_get_real_time() / G_USEC_PER_SEC - std::stoll(stamp);
    return genuine && age >= 0 && age < 300;
}

bool ConferenceFocus::admitCaller(nua_handle_s* handle, const sip_s* sip) {
    const SipSettings& settings = stack_.settings();
    if (!settings.roomCallers.empty() && !inRanges(sourceAddress(sip), settings.roomCallers)) {
        ++callsRefused_;
        stack_.refuse(handle, 403, sip_403_Forbidden, "this address may not call rooms");
        return false;
    }
    if (settings.roomSecret.empty())
        return true;
    // RFC 3261 digest (MD5, no qop): any user name, the room secret as password.
    const msg_auth_t* credentials = sip->sip_authorization;
    if (credentials && credentials->au_scheme && g_ascii_strcasecmp(credentials->au_scheme, "Digest") == 0) {
        std::string user = unquote(msg_params_find(credentials->au_params, "username="));
        std::string realm = unquote(msg_params_find(credentials->au_params, "realm="));
        std::string nonce = unquote(msg_params_find(credentials->au_params, "nonce="));
        std::string uri = unquote(msg_params_find(credentials->au_params, "uri="));
        std::string response = unquote(msg_params_find(credentials->au_params, "response="));
        const char* method = sip->sip_request ? sip->sip_request->rq_method_name : "INVITE";
        std::string expected = md5(md5(user + ":" + settings.roomRealm + ":" + settings.roomSecret) + ":" + nonce + ":" +
                                   md5(std::string(method) + ":" + uri));
        if (realm == settings.roomRealm && nonceFresh(nonce)) {
            if (g_ascii_strcasecmp(response.c_str(), expected.c_str()) == 0)
                return true;
            ++callsRefused_;
            stack_.refuse(handle, 403, sip_403_Forbidden, "wrong credentials");
            return false;
        }
    }
    std::string challenge = "Digest realm=\"" + settings.roomRealm + "\", nonce=\"" + makeNonce() + "\", algorithm=MD5";
    nua_respond(handle, 401, sip_401_Unauthorized, NUTAG_WITH_THIS(stack_.nua()),
                SIPTAG_WWW_AUTHENTICATE_STR(challenge.c_str()), TAG_END());
    stack_.retire(handle);
    return false;
}

}  // namespace sylk::sip
