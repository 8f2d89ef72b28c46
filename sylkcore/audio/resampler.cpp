#include "resampler.hpp"

#include <speex/speex_resampler.h>

#include <stdexcept>

namespace sylk::audio {

Resampler::Resampler(int inRate, int outRate, int quality) : inRate_(inRate), outRate_(outRate) {
    int error = 0;
    state_ = speex_resampler_init(1, static_cast<spx_uint32_t>(inRate), static_cast<spx_uint32_t>(outRate), quality, &error);
    if (!state_)
        throw std::runtime_error(std::string("resampler: ") + speex_resampler_strerror(error));
}

Resampler::~Resampler() {
    if (state_)
        speex_resampler_destroy(state_);
}

int Resampler::process(const int16_t* in, int samples, int16_t* out, int maxOut) {
    spx_uint32_t inLength = static_cast<spx_uint32_t>(samples);
    spx_uint32_t outLength = static_cast<spx_uint32_t>(maxOut);
    speex_resampler_process_int(state_, 0, in, &inLength, out, &outLength);
    return static_cast<int>(outLength);
}

}  // namespace sylk::audio
