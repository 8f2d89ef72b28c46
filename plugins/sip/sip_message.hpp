// Small readers over Sofia's parsed SIP messages, shared by the gateway and the focus.
#pragma once

#include <string>

struct sip_s;

namespace sylk::sip {

// The message body, or "" (no payload).
std::string bodyOf(const sip_s* sip);
// The From display name without quotes, else the From user part, else "phone".
std::string displayOf(const sip_s* sip);
// The From and To URIs, "sip:user@host:port", or "".
std::string fromUri(const sip_s* sip);
std::string toUri(const sip_s* sip);
// The Request-URI's user part, or "".
std::string requestUser(const sip_s* sip);
// "sip:user@host" of a Sofia url_t given as void* (url_t is an anonymous struct: it cannot be
// declared here), or "".
std::string uriOfHeader(const void* url);
// Where the request came from: the top Via's received parameter, else its host.
std::string sourceAddress(const sip_s* sip);
// The Call-ID, or "".
std::string callIdOf(const sip_s* sip);
// The Content-Type's type/subtype in lower case, or "".
std::string contentTypeOf(const sip_s* sip);
// Whether the request's Accept takes application/sdp: no Accept header means it does (RFC 3261
// §8.2.3), an empty one or one listing only other types (or SDP with q=0) that it does not.
bool acceptsSdp(const sip_s* sip);

}  // namespace sylk::sip
