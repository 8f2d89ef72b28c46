// A sound file the playback application plays (WAV, Ogg Opus, FLAC, ... what libsndfile
// reads), loaded once at start as mono 16-bit PCM at the file's own rate (channels averaged).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sylk::sip {

class AudioClip {
public:
    // Throws std::runtime_error naming the file when it cannot be read, is empty or longer
    // than an hour (a configuration mistake rather than a prompt).
    explicit AudioClip(const std::string& path);

    int sampleRate() const { return sampleRate_; }
    const std::vector<int16_t>& samples() const { return samples_; }
    const std::string& path() const { return path_; }
    // The clip at another rate (speexdsp), for a codec's PCM rate.
    std::vector<int16_t> resampled(int rate) const;

private:
    std::string path_;
    int sampleRate_ = 0;
    std::vector<int16_t> samples_;
};

}  // namespace sylk::sip
