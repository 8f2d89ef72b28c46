#include "rtp_packet.hpp"

namespace sylk::audio {

std::optional<RtpView> parseRtp(const uint8_t* packet, size_t length) {
    if (!packet || length < 12 || (packet[0] >> 6) != 2)
        return std::nullopt;
    uint8_t payloadType = packet[1] & 0x7f;
    if (payloadType >= 72 && payloadType <= 76)
        return std::nullopt;  // RTCP
    size_t header = 12 + 4u * (packet[0] & 0x0f);
    if (packet[0] & 0x10) {  // extension: 4-byte header then length words
        if (length < header + 4)
            return std::nullopt;
        header += 4 + 4u * ((packet[header + 2] << 8) | packet[header + 3]);
    }
    size_t padding = 0;
    if (packet[0] & 0x20) {
        padding = packet[length - 1];
        if (padding == 0)
            return std::nullopt;
    }
    if (header + padding > length)
        return std::nullopt;
    RtpView view;
    view.payloadType = payloadType;
    view.marker = packet[1] & 0x80;
    view.sequence = static_cast<uint16_t>((packet[2] << 8) | packet[3]);
    view.timestamp = (uint32_t(packet[4]) << 24) | (uint32_t(packet[5]) << 16) | (uint32_t(packet[6]) << 8) | packet[7];
    view.ssrc = (uint32_t(packet[8]) << 24) | (uint32_t(packet[9]) << 16) | (uint32_t(packet[10]) << 8) | packet[11];
    view.payload = packet + header;
    view.payloadLength = length - header - padding;
    return view;
}

size_t writeRtpHeader(uint8_t* out, uint8_t payloadType, bool marker, uint16_t sequence, uint32_t timestamp, uint32_t ssrc) {
    out[0] = 0x80;
    out[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (payloadType & 0x7f));
    out[2] = static_cast<uint8_t>(sequence >> 8);
    out[3] = static_cast<uint8_t>(sequence);
    for (int i = 0; i < 4; ++i) {
        out[4 + i] = static_cast<uint8_t>(timestamp >> (24 - 8 * i));
        out[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    }
    return 12;
}

}  // namespace sylk::audio
