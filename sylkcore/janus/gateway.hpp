// The Janus core as a plugin sees it: the callbacks Janus gave the plugin at init, as named
// methods on a handle. One pointer, every method inline: a relayed packet costs the same
// indirect call through Janus's table it always did.
#pragma once

#include <cstddef>
#include <cstdint>

#include "types.hpp"

namespace sylk::janus {

class Gateway {
public:
    Gateway() = default;
    explicit Gateway(janus_callbacks* callbacks) : callbacks_(callbacks) {}

    // Media out, to the handle's PeerConnection (Janus protects and sends it).
    void relayRtp(Handle* handle, RtpPacket& packet) const { callbacks_->relay_rtp(handle, &packet); }
    // A packet of ours without header extensions, on the m-line mindex.
    void relayRtp(Handle* handle, int mindex, bool video, uint8_t* buffer, size_t length) const {
        RtpPacket packet;
        janus_plugin_rtp_extensions_reset(&packet.extensions);
        packet.mindex = mindex;
        packet.video = video ? TRUE : FALSE;
        packet.buffer = reinterpret_cast<char*>(buffer);
        packet.length = static_cast<uint16_t>(length);
        callbacks_->relay_rtp(handle, &packet);
    }
    void relayRtcp(Handle* handle, RtcpPacket& packet) const { callbacks_->relay_rtcp(handle, &packet); }
    void relayData(Handle* handle, DataPacket& packet) const { callbacks_->relay_data(handle, &packet); }
    // Keyframe requests to the sender: on its video m-line(s), or on one m-line.
    void sendPli(Handle* handle) const { callbacks_->send_pli(handle); }
    void sendPliStream(Handle* handle, int mindex) const { callbacks_->send_pli_stream(handle, mindex); }
    // Our receive estimate, which caps the browser's sending bitrate.
    void sendRemb(Handle* handle, uint32_t bitsPerSecond) const { callbacks_->send_remb(handle, bitsPerSecond); }
    // Hangs up the PeerConnection; the handle stays attached.
    void closePc(Handle* handle) const { callbacks_->close_pc(handle); }

    // For wrappers in sylkcore/janus that need a callback not named here.
    janus_callbacks* raw() const { return callbacks_; }
    explicit operator bool() const { return callbacks_ != nullptr; }

private:
    janus_callbacks* callbacks_ = nullptr;
};

}  // namespace sylk::janus
