#include "sip_message.hpp"

#include "sofia.hpp"

#include <cctype>
#include <cstring>

namespace sylk::sip {

std::string bodyOf(const sip_s* sip) {
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
        return "";
    return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

std::string displayOf(const sip_s* sip) {
    if (sip && sip->sip_from) {
        if (sip->sip_from->a_display && *sip->sip_from->a_display) {
            std::string display = sip->sip_from->a_display;
            if (display.size() >= 2 && display.front() == '"' && display.back() == '"')
                display = display.substr(1, display.size() - 2);  // a quoted-string display name
            if (!display.empty())
                return display;
        }
        if (sip->sip_from->a_url->url_user)
            return sip->sip_from->a_url->url_user;
    }
    return "phone";
}

namespace {

std::string uriOf(const url_t* url) {
    if (!url)
        return "";
    char buffer[512];
    int length = url_e(buffer, sizeof(buffer), url);
    if (length <= 0 || static_cast<size_t>(length) >= sizeof(buffer))
        return "";
    return std::string(buffer, static_cast<size_t>(length));
}

}  // namespace

std::string uriOfHeader(const void* url) { return uriOf(static_cast<const url_t*>(url)); }

std::string fromUri(const sip_s* sip) { return sip && sip->sip_from ? uriOf(sip->sip_from->a_url) : ""; }

std::string toUri(const sip_s* sip) { return sip && sip->sip_to ? uriOf(sip->sip_to->a_url) : ""; }

std::string requestUser(const sip_s* sip) {
    if (!sip || !sip->sip_request || !sip->sip_request->rq_url->url_user)
        return "";
    return sip->sip_request->rq_url->url_user;
}

std::string sourceAddress(const sip_s* sip) {
    if (!sip || !sip->sip_via)
        return "";
    const char* host = sip->sip_via->v_received ? sip->sip_via->v_received : sip->sip_via->v_host;
    std::string address = host ? host : "";
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);  // [::1]
    return address;
}

std::string callIdOf(const sip_s* sip) {
    return sip && sip->sip_call_id && sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "";
}

std::string contentTypeOf(const sip_s* sip) {
    if (!sip || !sip->sip_content_type || !sip->sip_content_type->c_type)
        return "";
    std::string type = sip->sip_content_type->c_type;
    for (char& c : type)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type;
}

bool acceptsSdp(const sip_s* sip) {
    if (!sip || !sip->sip_accept)
        return true;
    for (const sip_accept_t* accept = sip->sip_accept; accept; accept = accept->ac_next) {
        if (!accept->ac_type)
            continue;  // "Accept:" with no value: nothing
        std::string type = accept->ac_type;
        for (char& c : type)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (type != "application/sdp" && type != "application/*" && type != "*/*")
            continue;
        const char* q = msg_params_find(accept->ac_params, "q=");
        // q=0, 0.0, 0.000: "not acceptable" (RFC 3261 qvalue).
        if (q && *q == '0' && std::strspn(q, "0.") == std::strlen(q))
            continue;
        return true;
    }
    return false;
}

}  // namespace sylk::sip
