// Sample-rate conversion for one mono stream (speexdsp), e.g. 8 kHz G.711 into a 48 kHz room.
#pragma once

#include <cstdint>

#include "../api.hpp"

struct SpeexResamplerState_;

namespace sylk::audio {

class SYLK_API Resampler {
public:
    Resampler(int inRate, int outRate, int quality = 3);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    int inRate() const { return inRate_; }
    int outRate() const { return outRate_; }
    // Converts samples from in; returns how many it wrote to out (at most maxOut).
    int process(const int16_t* in, int samples, int16_t* out, int maxOut);

private:
    int inRate_;
    int outRate_;
    SpeexResamplerState_* state_ = nullptr;
};

}  // namespace sylk::audio
