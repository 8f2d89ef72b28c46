// Sends a participant's mix back through Janus to its WebRTC PeerConnection.
#pragma once

#include <atomic>

#include "audio_sink.hpp"
#include "sylkcore/janus/media_output.hpp"

namespace sylk::audiomixer {

class WebRtcSink : public AudioSink {
public:
    WebRtcSink(janus::Gateway gateway, janus::Handle* handle) : output_(gateway, handle) {}

    // The audio m-line, once negotiated; until then nothing is sent.
    void setMindex(int mindex) { mindex_ = mindex; }
    int mindex() const { return mindex_; }
    void send(uint8_t* packet, size_t length) override {
        int mindex = mindex_.load(std::memory_order_relaxed);
        if (mindex < 0 || output_.stopped())
            return;
        output_.relayRtp(mindex, false, packet, length);
    }

private:
    janus::MediaOutput output_;
    std::atomic<int> mindex_{-1};
};

}  // namespace sylk::audiomixer
