#include "mix_participant.hpp"

#include <glib.h>

#include <algorithm>
#include <cmath>

#include "sylkcore/audio/rtp_packet.hpp"

namespace sylk::audiomixer {

MixParticipant::MixParticipant(uint64_t participantId, std::string name, audio::CodecId codecId, int pt, int roomRate,
                               std::unique_ptr<AudioSink> sink)
    : id(participantId), display(std::move(name)), codec(codecId), payloadType(pt), mixRate_(roomRate),
      sink_(std::move(sink)), jitter_(audio::codecInfo(codecId).clockRate, audio::codecInfo(codecId).frameMs), packet_(1500), talk_(25, 45),
      sequence_(static_cast<uint16_t>(g_random_int())), timestamp_(g_random_int()), ssrc_(g_random_int()) {
    buildForRate();
}

void MixParticipant::buildForRate() {
    int codecRate = audio::pcmRate(codec, mixRate_);
    // G.711 and G.722 code at a fixed rate whatever the mix; only Opus follows the mixing rate.
    if (!decoder_ || codec == audio::CodecId::Opus) {
        decoder_ = audio::makeDecoder(codec, mixRate_);
        encoder_ = audio::makeEncoder(codec, mixRate_);
    }
    inResampler_.reset();
    outResampler_.reset();
    if (codecRate != mixRate_) {
        inResampler_ = std::make_unique<audio::Resampler>(codecRate, mixRate_);
        outResampler_ = std::make_unique<audio::Resampler>(mixRate_, codecRate);
    }
    input_.assign(static_cast<size_t>(mixRate_ / 50), 0);
    pending_.clear();
}

void MixParticipant::setMixRate(int rate) {
    if (rate == mixRate_)
        return;
    mixRate_ = rate;
    buildForRate();
}

void MixParticipant::receiveRtp(const uint8_t* packet, size_t length, int64_t arrivalUs) {
    auto rtp = audio::parseRtp(packet, length);
    if (!rtp) {
        ++stats.malformed;
        return;
    }
    if (rtp->payloadType != payloadType) {
        ++stats.wrongPayloadType;
        return;
    }
    ++stats.packetsIn;
    if (rtp->payloadLength == 0)
        return;  // nothing to play: let the jitter buffer conceal it
    jitter_.push(rtp->sequence, rtp->timestamp, rtp->payload, rtp->payloadLength, arrivalUs);
}

bool MixParticipant::pullFrame() {
    talkChange_.reset();
    int16_t decoded[5760];  // 120 ms at 48 kHz: the longest Opus packet
    int samples = 0;
    std::vector<uint8_t>& payload = frame_;  // reused tick after tick: no allocation per packet
    int codecFrame = audio::pcmRate(codec, mixRate_) / 50;
    // Packets longer than a tick (iLBC's 30 ms) leave audio for the next tick: take that first.
    bool enoughPending = audio::codecInfo(codec).frameMs > 20 && pending_.size() >= input_.size();
    switch (enoughPending ? audio::JitterBuffer::Pop::Empty : jitter_.pop(payload)) {
    case audio::JitterBuffer::Pop::Frame:
        if (codec == audio::CodecId::Opus) {
            if (int rate = audio::opusCodedRate(payload.data(), payload.size()))
                codedRate_ = rate;
        }
        samples = decoder_->decode(payload.data(), payload.size(), decoded, static_cast<int>(std::size(decoded)));
        if (samples < 0) {
            ++stats.malformed;
            samples = decoder_->conceal(decoded, codecFrame);
        }
        break;
    case audio::JitterBuffer::Pop::Lost:
        samples = jitter_.peekNext(payload) ? decoder_->recover(payload.data(), payload.size(), decoded, codecFrame)
                                            : decoder_->conceal(decoded, codecFrame);
        break;
    case audio::JitterBuffer::Pop::Empty:
        samples = 0;
        break;
    }
    if (samples > 0 && inResampler_) {
        int16_t resampled[5760];
        int produced = inResampler_->process(decoded, samples, resampled, static_cast<int>(std::size(resampled)));
        pending_.insert(pending_.end(), resampled, resampled + produced);
    } else if (samples > 0) {
        pending_.insert(pending_.end(), decoded, decoded + samples);
    }
    bool haveAudio = !pending_.empty();
    size_t take = std::min(pending_.size(), input_.size());
    std::copy(pending_.begin(), pending_.begin() + static_cast<long>(take), input_.begin());
    std::fill(input_.begin() + static_cast<long>(take), input_.end(), 0);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(take));
    if (pending_.size() > input_.size() * 4)
        pending_.clear();  // a sender running fast (clock drift): drop rather than grow latency
    // Level (-dBov) of this tick, then gain.
    double energy = 0;
    for (int16_t sample : input_)
        energy += double(sample) * sample;
    double rms = std::sqrt(energy / static_cast<double>(input_.size())) / 32768.0;
    level_ = haveAudio && rms > 0 ? std::clamp(static_cast<int>(-20 * std::log10(rms)), 0, 127) : 127;
    recentLevel_.store(level_, std::memory_order_relaxed);
    talkChange_ = talk_.add(level_);
    talking_ = talk_.talking();
    int gain = volumePercent.load(std::memory_order_relaxed);
    if (gain != 100) {
        for (auto& sample : input_)
            sample = static_cast<int16_t>(std::clamp(sample * gain / 100, -32768, 32767));
    }
    return haveAudio;
}

std::optional<bool> MixParticipant::talkChange() { return talkChange_; }

void MixParticipant::sendOwn(const std::vector<int16_t>& pcm) {
    uint8_t payload[1500];
    int bytes;
    if (outResampler_) {
        int16_t resampled[5760];
        int produced = outResampler_->process(pcm.data(), static_cast<int>(pcm.size()), resampled,
                                              static_cast<int>(std::size(resampled)));
        int codecFrame = audio::pcmRate(codec, mixRate_) / 50;
        std::fill(resampled + produced, resampled + std::max(produced, codecFrame), 0);
        bytes = encoder_->encode(resampled, codecFrame, payload, sizeof(payload));
    } else {
        bytes = encoder_->encode(pcm.data(), static_cast<int>(pcm.size()), payload, sizeof(payload));
    }
    if (bytes > 0)
        sendPayload(payload, static_cast<size_t>(bytes));
}

void MixParticipant::sendShared(const uint8_t* payload, size_t length) { sendPayload(payload, length); }

void MixParticipant::sendPayload(const uint8_t* payload, size_t length) {
    if (length + 12 > packet_.size())
        return;
    size_t header = audio::writeRtpHeader(packet_.data(), static_cast<uint8_t>(payloadType), firstPacket_, sequence_++,
                                          timestamp_, ssrc_);
    firstPacket_ = false;
    timestamp_ += static_cast<uint32_t>(audio::codecInfo(codec).clockRate * audio::codecInfo(codec).frameMs / 1000);
    std::copy(payload, payload + length, packet_.begin() + static_cast<long>(header));
    sink_->send(packet_.data(), header + length);
    ++stats.packetsOut;
}

Json MixParticipant::describe() const {
    auto jitter = jitter_.stats();
    Json json = Json::object();
    json.set("id", static_cast<json_int_t>(id))
        .set("display", display)
        .setBool("muted", muted.load() || moderatorMuted.load())
        .setBool("on_hold", onHold.load())
        .set("codec", audio::codecInfo(codec).name)
        .set("volume", volumePercent.load())
        .setBool("talking", talking_.load());
    Json stats_ = Json::object();
    stats_.set("packets_in", static_cast<json_int_t>(stats.packetsIn.load()))
        .set("packets_out", static_cast<json_int_t>(stats.packetsOut.load()))
        .set("malformed", static_cast<json_int_t>(stats.malformed.load()))
        .set("wrong_payload_type", static_cast<json_int_t>(stats.wrongPayloadType.load()))
        .set("lost", static_cast<json_int_t>(jitter.lost))
        .set("late", static_cast<json_int_t>(jitter.late))
        .set("jitter_ms", jitter.jitterMs)
        .set("buffer_frames", jitter.targetFrames);
    json.set("stats", stats_);
    return json;
}

}  // namespace sylk::audiomixer
