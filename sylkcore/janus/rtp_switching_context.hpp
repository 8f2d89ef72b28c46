// What a forwarded stream looks like to its receiver: one SSRC, with continuous sequence
// numbers and timestamps, whatever source or layer feeds it (Janus's switching context). One
// per receiving stream, used by one thread (the sender's media thread).
#pragma once

#include "types.hpp"

namespace sylk::janus {

class SimulcastContext;

class RtpSwitchingContext {
public:
    RtpSwitchingContext() { janus_rtp_switching_context_reset(&context_); }
    RtpSwitchingContext(const RtpSwitchingContext&) = delete;
    RtpSwitchingContext& operator=(const RtpSwitchingContext&) = delete;

    // Rewrites SSRC, sequence number and timestamp in place for this receiver.
    void rewrite(RtpHeader* header, bool video) { janus_rtp_header_update(header, &context_, video ? TRUE : FALSE, 0); }
    // A packet this receiver does not get (a dropped layer): its sequence numbers stay gapless.
    void skipPacket() { ++context_.base_seq; }

private:
    friend class SimulcastContext;  // layer switches reset the timeline
    janus_rtp_switching_context context_;
};

}  // namespace sylk::janus
