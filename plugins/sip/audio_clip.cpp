#include "audio_clip.hpp"

#include <sndfile.h>

#include <memory>
#include <stdexcept>

#include "sylkcore/audio/resampler.hpp"

namespace sylk::sip {

namespace {
constexpr sf_count_t kMaxSeconds = 3600;

struct SndfileCloser {
    void operator()(SNDFILE* file) const { sf_close(file); }
};
}  // namespace

AudioClip::AudioClip(const std::string& path) : path_(path) {
    SF_INFO info{};
    std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open(path.c_str(), SFM_READ, &info));
    if (!file)
        throw std::runtime_error("playback file " + path + ": " + sf_strerror(nullptr));
    if (info.channels < 1 || info.samplerate < 8000 || info.samplerate > 192000)
        throw std::runtime_error("playback file " + path + ": unsupported format");
    if (info.frames <= 0 || info.frames > kMaxSeconds * info.samplerate)
        throw std::runtime_error("playback file " + path + ": empty or longer than an hour");
    sampleRate_ = info.samplerate;
    std::vector<short> frames(static_cast<size_t>(info.frames) * static_cast<size_t>(info.channels));
    sf_count_t read = sf_readf_short(file.get(), frames.data(), info.frames);
    if (read <= 0)
        throw std::runtime_error("playback file " + path + ": unreadable audio");
    samples_.reserve(static_cast<size_t>(read));
    for (sf_count_t frame = 0; frame < read; ++frame) {
        int sum = 0;
        for (int channel = 0; channel < info.channels; ++channel)
            sum += frames[static_cast<size_t>(frame * info.channels + channel)];
        samples_.push_back(static_cast<int16_t>(sum / info.channels));
    }
}

std::vector<int16_t> AudioClip::resampled(int rate) const {
    if (rate == sampleRate_)
        return samples_;
    audio::Resampler resampler(sampleRate_, rate);
    std::vector<int16_t> out(samples_.size() * static_cast<size_t>(rate) / static_cast<size_t>(sampleRate_) + 1024);
    int written = resampler.process(samples_.data(), static_cast<int>(samples_.size()), out.data(), static_cast<int>(out.size()));
    out.resize(static_cast<size_t>(written > 0 ? written : 0));
    return out;
}

}  // namespace sylk::sip
