#include "codec.hpp"

#include <vector>

#include "ilbc_decoder.hpp"
#include "ilbc_encoder.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

extern "C" {
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>
#include <spandsp/g722.h>
}

namespace sylk::audio {
namespace {

const CodecInfo kCodecs[] = {
    {CodecId::Opus, "opus", 48000, -1},
    {CodecId::G722, "g722", 8000, 9},
    {CodecId::Pcmu, "pcmu", 8000, 0},
    {CodecId::Pcma, "pcma", 8000, 8},
    {CodecId::Ilbc, "ilbc", 8000, -1, 30},
    {CodecId::Ilbc20, "ilbc20", 8000, -1, 20},
};

class OpusDecoderImpl : public Decoder {
public:
    explicit OpusDecoderImpl(int rate) : rate_(rate) {
        int error = 0;
        decoder_ = opus_decoder_create(rate, 1, &error);
        if (error != OPUS_OK)
            throw std::runtime_error(std::string("opus decoder: ") + opus_strerror(error));
    }
    ~OpusDecoderImpl() override { opus_decoder_destroy(decoder_); }
    int sampleRate() const override { return rate_; }
    int decode(const uint8_t* payload, size_t length, int16_t* pcm, int maxSamples) override {
        int samples = opus_decode(decoder_, payload, static_cast<opus_int32>(length), pcm, maxSamples, 0);
        return samples < 0 ? -1 : samples;
    }
    int conceal(int16_t* pcm, int samples) override {
        int produced = opus_decode(decoder_, nullptr, 0, pcm, samples, 0);
        if (produced < 0) {
            std::fill(pcm, pcm + samples, 0);
            return samples;
        }
        return produced;
    }
    int recover(const uint8_t* next, size_t length, int16_t* pcm, int samples) override {
        int produced = opus_decode(decoder_, next, static_cast<opus_int32>(length), pcm, samples, 1);
        return produced < 0 ? conceal(pcm, samples) : produced;
    }

private:
    int rate_;
    OpusDecoder* decoder_ = nullptr;
};

class OpusEncoderImpl : public Encoder {
public:
    OpusEncoderImpl(int rate, int complexity, int bitrate) : rate_(rate) {
        int error = 0;
        encoder_ = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &error);
        if (error != OPUS_OK)
            throw std::runtime_error(std::string("opus encoder: ") + opus_strerror(error));
        opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(complexity));
        opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate));
        opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
        opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(5));
    }
    ~OpusEncoderImpl() override { opus_encoder_destroy(encoder_); }
    int sampleRate() const override { return rate_; }
    int encode(const int16_t* pcm, int samples, uint8_t* out, int maxBytes) override {
        int bytes = opus_encode(encoder_, pcm, samples, out, maxBytes);
        return bytes < 0 ? -1 : bytes;
    }

private:
    int rate_;
    OpusEncoder* encoder_ = nullptr;
};

class G722DecoderImpl : public Decoder {
public:
    G722DecoderImpl() : state_(g722_decode_init(nullptr, 64000, 0)) {}
    ~G722DecoderImpl() override { g722_decode_free(state_); }
    int sampleRate() const override { return 16000; }
    int decode(const uint8_t* payload, size_t length, int16_t* pcm, int maxSamples) override {
        if (static_cast<int>(length) * 2 > maxSamples)
            return -1;
        return g722_decode(state_, pcm, payload, static_cast<int>(length));
    }
    int conceal(int16_t* pcm, int samples) override {
        std::fill(pcm, pcm + samples, 0);
        return samples;
    }

private:
    g722_decode_state_t* state_;
};

class G722EncoderImpl : public Encoder {
public:
    G722EncoderImpl() : state_(g722_encode_init(nullptr, 64000, 0)) {}
    ~G722EncoderImpl() override { g722_encode_free(state_); }
    int sampleRate() const override { return 16000; }
    int encode(const int16_t* pcm, int samples, uint8_t* out, int maxBytes) override {
        if (samples / 2 > maxBytes)
            return -1;
        return g722_encode(state_, out, pcm, samples);
    }

private:
    g722_encode_state_t* state_;
};

class G711DecoderImpl : public Decoder {
public:
    explicit G711DecoderImpl(bool ulaw) : ulaw_(ulaw) {}
    int sampleRate() const override { return 8000; }
    int decode(const uint8_t* payload, size_t length, int16_t* pcm, int maxSamples) override {
        if (static_cast<int>(length) > maxSamples)
            return -1;
        for (size_t i = 0; i < length; ++i)
            pcm[i] = ulaw_ ? ulaw_to_linear(payload[i]) : alaw_to_linear(payload[i]);
        return static_cast<int>(length);
    }
    int conceal(int16_t* pcm, int samples) override {
        std::fill(pcm, pcm + samples, 0);
        return samples;
    }

private:
    bool ulaw_;
};

class G711EncoderImpl : public Encoder {
public:
    explicit G711EncoderImpl(bool ulaw) : ulaw_(ulaw) {}
    int sampleRate() const override { return 8000; }
    int encode(const int16_t* pcm, int samples, uint8_t* out, int maxBytes) override {
        if (samples > maxBytes)
            return -1;
        for (int i = 0; i < samples; ++i)
            out[i] = ulaw_ ? linear_to_ulaw(pcm[i]) : linear_to_alaw(pcm[i]);
        return samples;
    }

private:
    bool ulaw_;
};

// iLBC: the payload's length tells the mode (RFC 3952: n * 38 bytes for 20 ms frames, n * 50
// for 30 ms), so one decoder object per mode serves a peer whatever it sends.
class IlbcDecoderImpl : public Decoder {
public:
    explicit IlbcDecoderImpl(int milliseconds) : preferred_(milliseconds) {}
    int sampleRate() const override { return 8000; }
    int decode(const uint8_t* payload, size_t length, int16_t* pcm, int maxSamples) override {
        int milliseconds = length > 0 && length % 50 == 0 && (preferred_ == 30 || length % 38 != 0) ? 30
                           : length > 0 && length % 38 == 0                                          ? 20
                                                                                                     : 0;
        if (milliseconds == 0)
            return -1;
        ilbc::IlbcDecoder& decoder = forMode(milliseconds);
        size_t frameBytes = static_cast<size_t>(decoder.mode().bytes);
        int frameSamples = decoder.mode().blockLength;
        if (static_cast<int>(length / frameBytes) * frameSamples > maxSamples)
            return -1;
        bool anyGood = false;
        for (size_t at = 0; at < length; at += frameBytes) {
            anyGood = decoder.decode(payload + at, frameBytes, pcm) || anyGood;  // bad frames are concealed
            pcm += frameSamples;
        }
        last_ = milliseconds;
        return anyGood ? static_cast<int>(length / frameBytes) * frameSamples : -1;
    }
    int conceal(int16_t* pcm, int samples) override {
        ilbc::IlbcDecoder& decoder = forMode(last_);
        if (samples < decoder.mode().blockLength) {
            std::fill(pcm, pcm + samples, 0);
            return samples;
        }
        decoder.conceal(pcm);
        return decoder.mode().blockLength;
    }

private:
    ilbc::IlbcDecoder& forMode(int milliseconds) {
        auto& slot = milliseconds == 20 ? decoder20_ : decoder30_;
        if (!slot)
            slot = std::make_unique<ilbc::IlbcDecoder>(milliseconds);
        return *slot;
    }

    int preferred_;
    int last_ = preferred_;
    std::unique_ptr<ilbc::IlbcDecoder> decoder20_, decoder30_;
};

class IlbcEncoderImpl : public Encoder {
public:
    explicit IlbcEncoderImpl(int milliseconds) : encoder_(milliseconds) {}
    int sampleRate() const override { return 8000; }
    int encode(const int16_t* pcm, int samples, uint8_t* out, int maxBytes) override {
        const int frame = encoder_.mode().blockLength;
        if (samples < 0 || maxBytes < encoder_.mode().bytes)
            return -1;
        pending_.insert(pending_.end(), pcm, pcm + samples);
        if (static_cast<int>(pending_.size()) < frame)
            return 0;
        encoder_.encode(pending_.data(), out);
        pending_.erase(pending_.begin(), pending_.begin() + frame);
        if (static_cast<int>(pending_.size()) > 4 * frame)
            pending_.clear();  // a caller feeding faster than frames go out: stay near real time
        return encoder_.mode().bytes;
    }

private:
    ilbc::IlbcEncoder encoder_;
    std::vector<int16_t> pending_;
};

}  // namespace

std::optional<CodecId> codecFromName(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto& codec : kCodecs) {
        if (lower == codec.name)
            return codec.id;
    }
    return std::nullopt;
}

const CodecInfo& codecInfo(CodecId id) { return kCodecs[static_cast<int>(id)]; }

int opusCodedRate(const uint8_t* payload, size_t length) {
    if (length == 0)
        return 0;
    switch (opus_packet_get_bandwidth(payload)) {
    case OPUS_BANDWIDTH_NARROWBAND: return 8000;
    case OPUS_BANDWIDTH_MEDIUMBAND:
    case OPUS_BANDWIDTH_WIDEBAND: return 16000;
    case OPUS_BANDWIDTH_SUPERWIDEBAND:
    case OPUS_BANDWIDTH_FULLBAND: return 48000;
    default: return 0;
    }
}

int pcmRate(CodecId id, int opusRate) {
    switch (id) {
    case CodecId::Opus: return opusRate;
    case CodecId::G722: return 16000;
    case CodecId::Pcmu:
    case CodecId::Pcma:
    case CodecId::Ilbc:
    case CodecId::Ilbc20: return 8000;
    }
    return opusRate;
}

std::unique_ptr<Decoder> makeDecoder(CodecId id, int opusRate) {
    switch (id) {
    case CodecId::Opus: return std::make_unique<OpusDecoderImpl>(opusRate);
    case CodecId::G722: return std::make_unique<G722DecoderImpl>();
    case CodecId::Pcmu: return std::make_unique<G711DecoderImpl>(true);
    case CodecId::Pcma: return std::make_unique<G711DecoderImpl>(false);
    case CodecId::Ilbc: return std::make_unique<IlbcDecoderImpl>(30);
    case CodecId::Ilbc20: return std::make_unique<IlbcDecoderImpl>(20);
    }
    return nullptr;
}

std::unique_ptr<Encoder> makeEncoder(CodecId id, int opusRate, int opusComplexity, int opusBitrate) {
    switch (id) {
    case CodecId::Opus: return std::make_unique<OpusEncoderImpl>(opusRate, opusComplexity, opusBitrate);
    case CodecId::G722: return std::make_unique<G722EncoderImpl>();
    case CodecId::Pcmu: return std::make_unique<G711EncoderImpl>(true);
    case CodecId::Pcma: return std::make_unique<G711EncoderImpl>(false);
    case CodecId::Ilbc: return std::make_unique<IlbcEncoderImpl>(30);
    case CodecId::Ilbc20: return std::make_unique<IlbcEncoderImpl>(20);
    }
    return nullptr;
}

}  // namespace sylk::audio
