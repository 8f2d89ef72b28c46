#include "playback_leg.hpp"

#include <glib.h>

#include <algorithm>
#include <chrono>

#include "audio_clip.hpp"
#include "sylkcore/audio/rtp_packet.hpp"

namespace sylk::sip {

namespace {
constexpr int kFrameMs = 20;
constexpr int kMaxPayload = 1200;
constexpr int kOpusRate = 48000;
}  // namespace

PlaybackLeg::PlaybackLeg(const AudioClip& clip, audio::CodecId codec, int payloadType, const std::string& localIp,
                         const std::string& peerIp, uint16_t peerPort, std::unique_ptr<net::SrtpSession> srtp)
    : socket_(localIp, peerIp, peerPort),
      srtp_(std::move(srtp)),
      encoder_(audio::makeEncoder(codec, kOpusRate)),
      payloadType_(payloadType),
      pcm_(clip.resampled(audio::pcmRate(codec, kOpusRate))),
      frameSamples_(static_cast<size_t>(audio::pcmRate(codec, kOpusRate) * kFrameMs / 1000)),
      frameTicks_(static_cast<uint32_t>(audio::codecInfo(codec).clockRate * kFrameMs / 1000)),
      sequence_(static_cast<uint16_t>(g_random_int())),
      timestamp_(g_random_int()),
      ssrc_(g_random_int()) {}

void PlaybackLeg::start(net::StackThread& media, std::function<void()> finished) {
    finished_ = std::move(finished);
    startUs_ = g_get_monotonic_time();
    timer_ = media.every(std::chrono::milliseconds(kFrameMs / 2), [this] { sendDue(); });
}

void PlaybackLeg::sendDue() {
    // What the caller sends is not listened to: drained so its socket buffer stays empty.
    socket_.drain([](const uint8_t*, size_t) {});
    uint64_t due = static_cast<uint64_t>((g_get_monotonic_time() - startUs_) / (kFrameMs * 1000)) + 1;
    std::vector<int16_t> frame(frameSamples_);
    uint8_t packet[12 + kMaxPayload + net::SrtpSession::kMaxTrailer];
    while (framesSent_ < due && position_ < pcm_.size()) {
        size_t take = std::min(frameSamples_, pcm_.size() - position_);
        std::fill(frame.begin(), frame.end(), int16_t(0));  // the last frame is padded with silence
        std::copy_n(pcm_.begin() + static_cast<std::ptrdiff_t>(position_), take, frame.begin());
        position_ += take;
        size_t header = audio::writeRtpHeader(packet, static_cast<uint8_t>(payloadType_), framesSent_ == 0, sequence_++,
                                              timestamp_, ssrc_);
        int bytes = encoder_->encode(frame.data(), static_cast<int>(frameSamples_), packet + header, kMaxPayload);
        size_t total = header + static_cast<size_t>(bytes);
        if (bytes > 0 && (!srtp_ || srtp_->protect(packet, total)))
            socket_.send(packet, total);
        timestamp_ += frameTicks_;
        ++framesSent_;
    }
    if (position_ >= pcm_.size()) {
        timer_.cancel();  // the callback may cancel its own handle
        if (finished_)
            finished_();
    }
}

}  // namespace sylk::sip
