#include "transcoder.hpp"

#include <algorithm>

namespace sylk::audio {
namespace {

// The PCM rate both codecs can work at: the non-Opus side's, or 48 kHz for Opus to Opus.
int commonRate(CodecId from, CodecId to) {
    if (from != CodecId::Opus)
        return pcmRate(from, 48000);
    if (to != CodecId::Opus)
        return pcmRate(to, 48000);
    return 48000;
}

}  // namespace

Transcoder::Transcoder(CodecId from, CodecId to)
    : from_(from),
      to_(to),
      pcmRate_(commonRate(from, to)),
      // one frame of the output codec: 20 ms, or 30 ms for iLBC's 30 ms mode
      frameSamples_(pcmRate_ * codecInfo(to).frameMs / 1000),
      inTicksPerSample_(static_cast<double>(codecInfo(from).clockRate) / pcmRate_),
      outTicksPerSample_(static_cast<double>(codecInfo(to).clockRate) / pcmRate_),
      decoder_(makeDecoder(from, pcmRate_)),
      encoder_(makeEncoder(to, pcmRate_)),
      decodeBuffer_(static_cast<size_t>(pcmRate_ / 1000 * 120)),  // Opus's longest packet: 120 ms
      encodeBuffer_(1500) {}

Transcoder::~Transcoder() = default;

void Transcoder::push(const uint8_t* payload, size_t length, uint32_t timestamp, const FrameSink& sink) {
    int samples = decoder_->decode(payload, length, decodeBuffer_.data(), static_cast<int>(decodeBuffer_.size()));
    if (samples <= 0) {
        ++undecodable_;
        return;
    }
    // A timestamp other than the one that follows the last packet (loss, a new talk spurt)
    // restarts framing there; what was pending goes out as a short frame's worth of silence
    // padding rather than being held back.
    if (!started_ || timestamp != expectedInput_) {
        if (started_ && !pending_.empty()) {
            pending_.resize(static_cast<size_t>(frameSamples_), 0);
            int bytes = encoder_->encode(pending_.data(), frameSamples_, encodeBuffer_.data(), static_cast<int>(encodeBuffer_.size()));
            if (bytes > 0)
                sink(encodeBuffer_.data(), static_cast<size_t>(bytes), pendingTimestamp_);
        }
        pending_.clear();
        pendingTimestamp_ = static_cast<uint32_t>(static_cast<double>(timestamp) / inTicksPerSample_ * outTicksPerSample_);
        started_ = true;
    }
    expectedInput_ = timestamp + static_cast<uint32_t>(samples * inTicksPerSample_);
    pending_.insert(pending_.end(), decodeBuffer_.begin(), decodeBuffer_.begin() + samples);
    size_t offset = 0;
    while (pending_.size() - offset >= static_cast<size_t>(frameSamples_)) {
        int bytes = encoder_->encode(pending_.data() + offset, frameSamples_, encodeBuffer_.data(), static_cast<int>(encodeBuffer_.size()));
        if (bytes > 0)
            sink(encodeBuffer_.data(), static_cast<size_t>(bytes), pendingTimestamp_);
        offset += static_cast<size_t>(frameSamples_);
        pendingTimestamp_ += static_cast<uint32_t>(frameSamples_ * outTicksPerSample_);
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(offset));
}

}  // namespace sylk::audio
