// One receiver's view of a simulcast source: which layer (substream, temporal layer) it gets
// now and how it moves towards the one it wants, switching at keyframes (Janus's simulcasting
// context). Used by the source's media thread only.
#pragma once

#include "codecs.hpp"
#include "rtp_switching_context.hpp"
#include "simulcast_source.hpp"

namespace sylk::janus {

class SimulcastContext {
public:
    SimulcastContext() { janus_rtp_simulcasting_context_reset(&context_); }
    SimulcastContext(const SimulcastContext&) = delete;
    SimulcastContext& operator=(const SimulcastContext&) = delete;

    // Whether this packet of source goes to the receiver, aiming at the substream and temporal
    // layer given; a switch resets the receiver's timeline.
    bool process(char* buffer, int length, SimulcastSource& source, VideoCodec codec, int substream, int temporal,
                 RtpSwitchingContext& receiver) {
        context_.rid_ext_id = source.ridExtensionId_;
        context_.substream_target = substream;
        context_.templayer_target = temporal;
        return janus_rtp_simulcasting_context_process_rtp(&context_, buffer, length, source.ssrcs_, source.rids_, codec,
                                                          &receiver.context_, nullptr);
    }
    // After process(): the wanted layer needs a keyframe from the sender.
    bool needsKeyframe() const { return context_.need_pli; }
    // After process(): this packet starts another substream (VP8 picture ids must be rewritten).
    bool changedSubstream() const { return context_.changed_substream; }

private:
    janus_rtp_simulcasting_context context_;
};

}  // namespace sylk::janus
