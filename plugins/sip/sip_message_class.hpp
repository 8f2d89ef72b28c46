// The SIP message class our Sofia stacks parse with (NTATAG_MCLASS): Sofia's own, with two
// header parsers wrapped so that what arrives is safe for nta's stateless paths.
//
// - The request line: one that does not parse makes the message an invalid request that nta
//   drops without an answer, and on a TCP or TLS connection nta then closes its sending side
//   (FIN). Sofia otherwise called such a message garbage and left the connection open, unread,
//   until its idle timeout (30 minutes by default).
// - The top Via of a request: received and rport say where it really came from (RFC 3261
//   §18.2.2, RFC 3581) and maddr is removed, before nta sees it, so that no response goes
//   anywhere but to the request's source and none needs DNS. nta's stateless answers (505 for
//   SIP/7.0, 400 for a request with a Via of the wrong transport, 413, 503) skip its own Via check
//   and went to the Via's host, resolved synchronously on the SIP thread: seconds of stalled SIP
//   work per datagram naming a host whose DNS does not answer.
#pragma once

struct msg_mclass_s;

namespace sylk::sip {

class SipMessageClass {
public:
    // Built once, never freed (Sofia keeps pointers into it for the stacks' lifetime).
    static const msg_mclass_s* instance();
};

}  // namespace sylk::sip
