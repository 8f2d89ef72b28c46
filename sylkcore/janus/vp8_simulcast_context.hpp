// Keeps a receiver's VP8 picture ids and TL0 indexes continuous across simulcast substream
// switches (Janus's VP8 simulcast context). Used by the source's media thread only.
#pragma once

#include "types.hpp"

namespace sylk::janus {

class Vp8SimulcastContext {
public:
    Vp8SimulcastContext() { janus_vp8_simulcast_context_reset(&context_); }
    Vp8SimulcastContext(const Vp8SimulcastContext&) = delete;
    Vp8SimulcastContext& operator=(const Vp8SimulcastContext&) = delete;

    // Rewrites the payload descriptor in place; switched: the packet starts another substream.
    void updateDescriptor(char* payload, int length, bool switched) {
        janus_vp8_simulcast_descriptor_update(payload, length, &context_, switched ? TRUE : FALSE);
    }

private:
    janus_vp8_simulcast_context context_;
};

}  // namespace sylk::janus
