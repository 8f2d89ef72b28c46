// iLBC encoder (RFC 3951 section 3): 8 kHz PCM frames of 20 ms (38 bytes) or 30 ms (50 bytes).
// Written from the RFC's description; the codebook search is exhaustive over the indexes the
// bitstream can carry instead of the reference's staged restricted search.
#pragma once

#include <array>
#include <cstdint>

#include "ilbc_frame.hpp"

namespace sylk::audio::ilbc {

class IlbcEncoder {
public:
    explicit IlbcEncoder(int milliseconds);
    const FrameMode& mode() const { return mode_; }
    // pcm: mode().blockLength samples; out: mode().bytes bytes.
    void encode(const int16_t* pcm, uint8_t* out);

private:
    struct Filters {
        float synthesis[6][kOrder + 1];
        float weighting[6][kOrder + 1];
    };
    void highpass(const int16_t* pcm, float* out);
    void analyse(const float* block, FrameParameters& params, Filters& filters);
    int classify(const float* residual) const;
    // Codes target (length samples) against the memory; writes the decoded vector.
    void searchCodebook(const float* memory, int memoryLength, const float* target, int length,
                        const float* weighting, int block, std::array<int, kStages>& indexes,
                        std::array<int, kStages>& gains, float* decoded) const;

    const FrameMode& mode_;
    float highpassState_[4] = {};
    float analysisState_[kOrder] = {};
    float lsfOld_[kOrder];
    float lsfQuantizedOld_[kOrder];
    std::array<float, 60 + 240> lpcBuffer_{};
};

}  // namespace sylk::audio::ilbc
