// Records a room's mix as a 16-bit mono WAV file. Opened and closed on the control loop,
// written on the mixer thread; the lock only guards those hand-overs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace sylk::audiomixer {

class WavRecorder {
public:
    // Throws std::runtime_error when the file cannot be created.
    WavRecorder(const std::string& path, int sampleRate);
    ~WavRecorder();  // finishes the header
    WavRecorder(const WavRecorder&) = delete;
    WavRecorder& operator=(const WavRecorder&) = delete;

    void write(const int16_t* samples, size_t count);
    const std::string& path() const { return path_; }
    uint64_t samplesWritten() const { return samples_; }

private:
    void writeHeader();

    std::mutex mutex_;
    std::string path_;
    int sampleRate_;
    FILE* file_ = nullptr;
    uint64_t samples_ = 0;
};

}  // namespace sylk::audiomixer
