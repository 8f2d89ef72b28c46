#include "echo_session.hpp"

#include "sylkcore/janus/rtp.hpp"
#include "sylkcore/log.hpp"

namespace sylk::echo {
namespace {
// Browsers treat a REMB above what they can send as "no limit".
constexpr uint32_t kUncappedRemb = 10'000'000;
}  // namespace

EchoSession::EchoSession(janus::Handle* handle, janus::Gateway gateway, EchoCounters& pluginTotals,
                         uint32_t bitrateCap)
    : PluginSession(handle), gateway_(gateway), totals_(pluginTotals), bitrateCap_(bitrateCap) {}

void EchoSession::setBitrateCap(uint32_t bitsPerSecond) {
    bitrateCap_ = bitsPerSecond;
    if (mediaUp_ && !stopped())
        gateway_.sendRemb(handle(), bitsPerSecond ? bitsPerSecond : kUncappedRemb);
}

void EchoSession::requestKeyframe() {
    if (mediaUp_ && !stopped())
        gateway_.sendPli(handle());
}

void EchoSession::setNegotiated(const std::string& audioCodec, const std::string& videoCodec, bool data) {
    std::lock_guard lock(negotiatedMutex_);
    audioCodec_ = audioCodec;
    videoCodec_ = videoCodec;
    dataNegotiated_ = data;
}

Json EchoSession::status() const {
    Json json = Json::object();
    {
        std::lock_guard lock(negotiatedMutex_);
        json.set("audio_codec", audioCodec_).set("video_codec", videoCodec_).setBool("data_channel", dataNegotiated_);
    }
    json.setBool("media_up", mediaUp_)
        .setBool("audio", audio_)
        .setBool("video", video_)
        .setBool("data", data_)
        .set("bitrate_cap", static_cast<json_int_t>(bitrateCap_.load()))
        .set("counters", counters_.toJson());
    return json;
}

void EchoSession::onSetupMedia() {
    mediaUp_ = true;
    // Start the echo with a keyframe instead of waiting for the browser's next one.
    gateway_.sendPli(handle());
}

void EchoSession::onIncomingRtp(janus::RtpPacket* packet) {
    const bool wanted = packet->video ? video_.load(std::memory_order_relaxed) : audio_.load(std::memory_order_relaxed);
    if (!wanted)
        return;
    gateway_.relayRtp(handle(), *packet);
    auto& kind = packet->video ? counters_.videoPackets : counters_.audioPackets;
    auto& totalKind = packet->video ? totals_.videoPackets : totals_.audioPackets;
    count(kind);
    count(totalKind);
    count(counters_.bytes, packet->length);
    count(totals_.bytes, packet->length);
}

void EchoSession::onIncomingRtcp(janus::RtcpPacket* packet) {
    count(counters_.rtcpPackets);
    count(totals_.rtcpPackets);
    uint32_t remb = janus::rtcpRemb(packet->buffer, packet->length);
    if (remb > 0) {
        // The browser's estimate of what it can receive: answer with our cap, which is what
        // limits the browser as a sender of the echoed stream.
        uint32_t cap = bitrateCap_.load(std::memory_order_relaxed);
        gateway_.sendRemb(handle(), cap ? cap : kUncappedRemb);
        return;
    }
    gateway_.relayRtcp(handle(), *packet);
}

void EchoSession::onIncomingData(janus::DataPacket* packet) {
    if (!data_.load(std::memory_order_relaxed) || !packet->buffer || packet->length == 0)
        return;
    // Sent back unchanged, text or binary, on the same channel.
    gateway_.relayData(handle(), *packet);
    count(counters_.dataMessages);
    count(totals_.dataMessages);
}

void EchoSession::onHangupMedia() { mediaUp_ = false; }

}  // namespace sylk::echo
