#include "wav_recorder.hpp"

#include <cstring>
#include <stdexcept>

namespace sylk::audiomixer {
namespace {

void put32(uint8_t* out, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<uint8_t>(value >> (8 * i));
}

void put16(uint8_t* out, uint16_t value) {
    out[0] = static_cast<uint8_t>(value);
    out[1] = static_cast<uint8_t>(value >> 8);
}

}  // namespace

WavRecorder::WavRecorder(const std::string& path, int sampleRate) : path_(path), sampleRate_(sampleRate) {
    file_ = std::fopen(path.c_str(), "wbx");  // never overwrite
    if (!file_)
        throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    writeHeader();
}

WavRecorder::~WavRecorder() {
    std::lock_guard lock(mutex_);
    if (!file_)
        return;
    std::fseek(file_, 0, SEEK_SET);
    writeHeader();
    std::fclose(file_);
}

void WavRecorder::writeHeader() {
    uint8_t header[44];
    uint32_t dataBytes = static_cast<uint32_t>(samples_ * 2);
    std::memcpy(header, "RIFF", 4);
    put32(header + 4, 36 + dataBytes);
    std::memcpy(header + 8, "WAVEfmt ", 8);
    put32(header + 16, 16);
    put16(header + 20, 1);  // PCM
    put16(header + 22, 1);  // mono
    put32(header + 24, static_cast<uint32_t>(sampleRate_));
    put32(header + 28, static_cast<uint32_t>(sampleRate_ * 2));
    put16(header + 32, 2);
    put16(header + 34, 16);
    std::memcpy(header + 36, "data", 4);
    put32(header + 40, dataBytes);
    std::fwrite(header, 1, sizeof(header), file_);
}

void WavRecorder::write(const int16_t* samples, size_t count) {
    std::lock_guard lock(mutex_);
    if (file_ && std::fwrite(samples, sizeof(int16_t), count, file_) == count)
        samples_ += count;
}

}  // namespace sylk::audiomixer
