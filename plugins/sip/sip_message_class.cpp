#include "sip_message_class.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "sofia.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/bnf.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/su_string.h>
#pragma GCC diagnostic pop

namespace sylk::sip {
namespace {

struct msg_hclass_s requestLineClass;  // Sofia's type is const: these are filled once, in build()
struct msg_hclass_s viaClass;
struct msg_hclass_s cseqClass;

// RFC 3261 token: what a method name is made of. Sofia's own parser takes for a method it does
// not know only URL-unreserved characters, refusing '+', '`' and '%', so that a valid request
// such as "FOO+ sip:..." was garbage to it.
bool isToken(const char* text) {
    if (!text || !*text)
        return false;
    for (; *text; ++text) {
        if (!IS_TOKEN(*text))
            return false;
    }
    return true;
}

// "<method> <Request-URI> SIP/<version>" with any token as method; false if it is not one.
bool parseTokenMethodLine(sip_request_t* line, char* text) {
    char* method = text;
    char* at = method + span_token(method);
    if (at == method || !IS_WS(*at))
        return false;
    *at++ = '\0';
    at += span_ws(at);
    char* uri = at;
    at += span_non_ws(at);
    if (at == uri || !IS_WS(*at))
        return false;
    *at++ = '\0';
    at += span_ws(at);
    char* version = at;
    if (!isToken(method) || url_d(line->rq_url, uri) < 0)
        return false;
    // "SIP/2.0" (another version parses too: nta answers it 505).
    char* slash = version + span_token(version);
    if (slash == version || *slash != '/')
        return false;
    char* end = slash + 1 + span_token(slash + 1);
    if (end == slash + 1 || end[span_ws(end)] != '\0')
        return false;
    *end = '\0';
    line->rq_version = su_casematch(version, sip_version_2_0) ? sip_version_2_0 : version;
    line->rq_method = sip_method_unknown;
    line->rq_method_name = method;
    return true;
}

// A request line that does not parse (garbage) becomes an invalid request: Request-URI of no
// type (nta's sanity check fails) and method ACK (nta answers no failed ACK), so nta drops it
// without a reply and shuts a stream's sending side. (Another version, SIP/7.0, parses: nta
// answers it 505, at the address parseVia has put in the Via.)
issize_t parseRequestLine(su_home_t* home, msg_header_t* header, char* text, isize_t length) {
    auto* line = reinterpret_cast<sip_request_t*>(header);
    std::string original(text, static_cast<size_t>(length));  // Sofia's parser writes into text
    if (sip_request_class->hc_parse(home, header, text, length) >= 0)
        return 0;
    std::memcpy(text, original.data(), original.size());
    std::memset(line->rq_url, 0, sizeof(line->rq_url));  // what the failed attempt left
    if (parseTokenMethodLine(line, text))
        return 0;
    line->rq_method = sip_method_ack;
    line->rq_method_name = "ACK";
    std::memset(line->rq_url, 0, sizeof(line->rq_url));
    line->rq_url->url_type = url_invalid;
    line->rq_version = sip_version_2_0;
    return 0;
}

issize_t (*sofiaExtractBody)(msg_t*, msg_pub_t*, char[], isize_t, int) = nullptr;

// At the empty line after the headers. On a stream (eos 0) a request without Content-Length
// (RFC 3261 §18.3 requires one there) is complete: it has no body. Sofia would wait for more
// bytes, which garbage (an HTTP GET, an invalid request) never sends, and keep the connection
// until its timeouts; so it reaches nta, which answers it or ends the connection.
issize_t extractBody(msg_t* msg, msg_pub_t* pub, char buffer[], isize_t size, int eos) {
    issize_t result = sofiaExtractBody(msg, pub, buffer, size, eos);
    auto* sip = reinterpret_cast<sip_t*>(pub);
    if (result >= 0 && !eos && sip->sip_request && !sip->sip_content_length && (sip->sip_flags & MSG_FLG_BODY))
        sip->sip_flags |= MSG_FLG_COMPLETE;
    return result;
}

// "<number> <method>" with any token as method (see isToken).
issize_t parseCSeq(su_home_t* home, msg_header_t* header, char* text, isize_t length) {
    std::string original(text, static_cast<size_t>(length));
    if (sip_cseq_class->hc_parse(home, header, text, length) >= 0)
        return 0;
    std::memcpy(text, original.data(), original.size());
    auto* cseq = reinterpret_cast<sip_cseq_t*>(header);
    char* at = text;
    size_t digits = std::strspn(at, "0123456789");
    if (digits == 0 || digits > 10)
        return -1;
    unsigned long long number = std::strtoull(at, nullptr, 10);
    if (number > 0x7fffffffULL)  // RFC 3261 §8.1.1.5: less than 2**31
        return -1;
    at += digits;
    if (!IS_LWS(*at))
        return -1;
    at += span_lws(at);
    char* method = at;
    at += span_token(at);
    char* end = at;
    at += span_lws(at);
    if (*at || end == method)
        return -1;
    *end = '\0';
    cseq->cs_seq = static_cast<uint32_t>(number);
    cseq->cs_method = sip_method_unknown;
    cseq->cs_method_name = method;
    return 0;
}

// Our class for a header: found by name first (parsing), with Sofia's own class left in the
// table after it, because headers made by Sofia's code carry that class and are placed into
// messages by looking their class up here.
bool wrapParser(msg_mclass_t* mclass, msg_hclass_t* sofia, struct msg_hclass_s* ours) {
    for (int i = 0; i < mclass->mc_hash_size; ++i) {
        if (mclass->mc_hash[i].hr_class != sofia)
            continue;
        msg_href_t sofiaEntry = mclass->mc_hash[i];
        mclass->mc_hash[i].hr_class = ours;
        if (msg_mclass_insert(mclass, &sofiaEntry) < 0)
            return false;
        if (mclass->mc_short && sofia->hc_short[0] >= 'a' && sofia->hc_short[0] <= 'z') {
            auto* shorts = const_cast<msg_href_t*>(mclass->mc_short);
            if (shorts[sofia->hc_short[0] - 'a'].hr_class == sofia)
                shorts[sofia->hc_short[0] - 'a'].hr_class = ours;
        }
        return true;
    }
    return false;
}

// "192.0.2.1" or "2001:db8::1" (no brackets), as received= takes it; "" for other families.
std::string addressOf(const su_sockaddr_t* from) {
    char text[INET6_ADDRSTRLEN] = "";
    if (from->su_family == AF_INET)
        inet_ntop(AF_INET, &from->su_sin.sin_addr, text, sizeof(text));
    else if (from->su_family == AF_INET6)
        inet_ntop(AF_INET6, &from->su_sin6.sin6_addr, text, sizeof(text));
    return text;
}

issize_t parseVia(su_home_t* home, msg_header_t* header, char* text, isize_t length) {
    issize_t result = sip_via_class->hc_parse(home, header, text, length);
    if (result < 0)
        return result;
    // Headers of a message are parsed with the message's own home, and a msg_t begins with its
    // home (msg_home() is a cast): the message is at hand, with the address it came from.
    auto* msg = reinterpret_cast<msg_t*>(home);
    sip_t* sip = sip_object(msg);
    if (!sip || !sip->sip_request || sip->sip_via)
        return result;  // only the top Via of a request
    std::string source = addressOf(msg_addr(msg));
    if (source.empty())
        return result;  // not a received message
    auto* via = reinterpret_cast<sip_via_t*>(header);
    if (via->v_maddr)
        msg_header_remove_param(via->v_common, "maddr");
    std::string host = via->v_host ? via->v_host : "";
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (!su_casematch(host.c_str(), source.c_str()))
        msg_header_replace_param(home, via->v_common, su_strdup(home, ("received=" + source).c_str()));
    if (via->v_rport) {
        std::string rport = "rport=" + std::to_string(ntohs(msg_addr(msg)->su_port));
        msg_header_replace_param(home, via->v_common, su_strdup(home, rport.c_str()));
    }
    return result;
}

msg_mclass_t* build() {
    const msg_mclass_t* stock = sip_default_mclass();
    // Twice the slots: room for the second Via entry below.
    msg_mclass_t* mclass = msg_mclass_clone(stock, stock->mc_hash_size * 2, 0);
    if (!mclass)
        return nullptr;
    sofiaExtractBody = mclass->mc_extract_body;
    mclass->mc_extract_body = extractBody;
    requestLineClass = *sip_request_class;
    requestLineClass.hc_parse = parseRequestLine;
    mclass->mc_request[0].hr_class = &requestLineClass;

    viaClass = *sip_via_class;
    viaClass.hc_parse = parseVia;
    cseqClass = *sip_cseq_class;
    cseqClass.hc_parse = parseCSeq;
    if (!wrapParser(mclass, sip_via_class, &viaClass) || !wrapParser(mclass, sip_cseq_class, &cseqClass)) {
        free(mclass);
        return nullptr;
    }
    return mclass;
}

}  // namespace

const msg_mclass_s* SipMessageClass::instance() {
    static const msg_mclass_t* mclass = build();
    return mclass;
}

}  // namespace sylk::sip
