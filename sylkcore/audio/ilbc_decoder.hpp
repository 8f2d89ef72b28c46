// iLBC decoder (RFC 3951 section 4) with the RFC's packet loss concealment (section 4.5):
// a lost or undecodable frame is replaced by the previous residual repeated at its pitch lag,
// mixed with noise by how periodic it was, fading over consecutive losses, through the last
// synthesis filter. The optional enhancer (section 4.6) is not run: its 20-80 ms of look-back
// postfiltering would add delay in a mixer; decisions.md has the trade.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ilbc_frame.hpp"

namespace sylk::audio::ilbc {

class IlbcDecoder {
public:
    explicit IlbcDecoder(int milliseconds);
    const FrameMode& mode() const { return mode_; }
    // payload: mode().bytes bytes; pcm: mode().blockLength samples. Returns false (and conceals)
    // for a frame marked empty or carrying values outside the codec's ranges.
    bool decode(const uint8_t* payload, size_t length, int16_t* pcm);
    // One frame of concealment for a frame that never arrived.
    void conceal(int16_t* pcm);

private:
    void decodeResidual(const FrameParameters& params, const float (*synthesis)[kOrder + 1], float* residual) const;
    void concealResidual(float* residual);
    void synthesize(const float* residual, const float (*synthesis)[kOrder + 1], int16_t* pcm);
    int pitchLag(const float* residual) const;

    const FrameMode& mode_;
    float lsfOld_[kOrder];
    float synthesisState_[kOrder] = {};
    float highpassState_[4] = {};
    // Concealment state: the last frame's residual and filter, its lag and periodicity.
    std::array<float, 240> previousResidual_{};
    float previousLpc_[kOrder + 1] = {1};
    int lastLag_ = 20;
    int concealLag_ = 20;
    float periodicity_ = 0;
    int consecutiveLosses_ = 0;
    uint32_t seed_ = 777;
};

}  // namespace sylk::audio::ilbc
