#include "echo_leg.hpp"

#include <glib.h>

#include <cstring>

#include "sylkcore/audio/rtp_packet.hpp"

namespace sylk::sip {

namespace {
constexpr size_t kMaxRtp = 1500;
}

EchoLeg::EchoLeg(net::StackThread& media, const std::string& localIp, const std::string& peerIp, uint16_t peerPort,
                 std::unique_ptr<net::SrtpSession> srtp)
    : socket_(localIp, peerIp, peerPort),
      srtp_(std::move(srtp)),
      ssrc_(g_random_int()),
      sequence_(static_cast<uint16_t>(g_random_int())),
      timestampOffset_(g_random_int()) {
    watch_ = media.watch(socket_.fd(), G_IO_IN, [this](GIOCondition) {
        socket_.drain([this](const uint8_t* packet, size_t length) { reflect(packet, length); });
    });
}

void EchoLeg::reflect(const uint8_t* received, size_t length) {
    if (length > kMaxRtp)
        return;
    uint8_t packet[kMaxRtp];
    std::memcpy(packet, received, length);
    if (srtp_ && !srtp_->unprotect(packet, length))
        return;  // not the caller's key (or a replay): nothing to reflect
    auto rtp = audio::parseRtp(packet, length);  // RTCP and garbage are not sent back
    if (!rtp)
        return;
    uint8_t out[kMaxRtp + net::SrtpSession::kMaxTrailer];
    size_t header = audio::writeRtpHeader(out, rtp->payloadType, rtp->marker, sequence_++,
                                          rtp->timestamp + timestampOffset_, ssrc_);
    std::memcpy(out + header, rtp->payload, rtp->payloadLength);
    size_t total = header + rtp->payloadLength;
    if (srtp_ && !srtp_->protect(out, total))
        return;
    socket_.send(out, total);
    ++reflected_;
}

}  // namespace sylk::sip
