// Where an object sends media for one handle: the Janus core bound to a reference on that
// handle, so the handle cannot be freed while the object may still send (a mixer sink, a SIP
// call's bridge). Inline; one handle check and one call per packet, as before.
#pragma once

#include "gateway.hpp"
#include "handle_ref.hpp"

namespace sylk::janus {

class MediaOutput {
public:
    MediaOutput(Gateway gateway, Handle* handle) : gateway_(gateway), handle_(handle) {}

    Handle* handle() const { return handle_.get(); }
    // Janus is tearing the handle down: send nothing more.
    bool stopped() const { return handle_.stopped(); }

    void relayRtp(RtpPacket& packet) const { gateway_.relayRtp(handle_.get(), packet); }
    void relayRtp(int mindex, bool video, uint8_t* buffer, size_t length) const {
        gateway_.relayRtp(handle_.get(), mindex, video, buffer, length);
    }
    void relayRtcp(RtcpPacket& packet) const { gateway_.relayRtcp(handle_.get(), packet); }
    void relayData(DataPacket& packet) const { gateway_.relayData(handle_.get(), packet); }
    void sendPli() const { gateway_.sendPli(handle_.get()); }
    void sendPliStream(int mindex) const { gateway_.sendPliStream(handle_.get(), mindex); }
    void sendRemb(uint32_t bitsPerSecond) const { gateway_.sendRemb(handle_.get(), bitsPerSecond); }
    void closePc() const { gateway_.closePc(handle_.get()); }

private:
    Gateway gateway_;
    HandleRef handle_;
};

}  // namespace sylk::janus
