// Sends a participant's mix back through Janus to its WebRTC PeerConnection.
#pragma once

#include <atomic>

#include "audio_sink.hpp"
#include "sylkcore/janus/handle_ref.hpp"

namespace sylk::audiomixer {

class WebRtcSink : public AudioSink {
public:
    WebRtcSink(janus_callbacks* gateway, janus_plugin_session* handle) : gateway_(gateway), handle_(handle) {}

    // The audio m-line, once negotiated; until then nothing is sent.
    void setMindex(int mindex) { mindex_ = mindex; }
    int mindex() const { return mindex_; }
    void send(uint8_t* packet, size_t length) override {
        int mindex = mindex_.load(std::memory_order_relaxed);
        if (mindex < 0 || handle_.stopped())
            return;
        janus_plugin_rtp rtp;
        janus_plugin_rtp_extensions_reset(&rtp.extensions);
        rtp.mindex = mindex;
        rtp.video = FALSE;
        rtp.buffer = reinterpret_cast<char*>(packet);
        rtp.length = static_cast<uint16_t>(length);
        gateway_->relay_rtp(handle_.get(), &rtp);
    }

private:
    janus_callbacks* gateway_;
    janus::HandleRef handle_;
    std::atomic<int> mindex_{-1};
};

}  // namespace sylk::audiomixer
