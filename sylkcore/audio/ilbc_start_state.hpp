// The start state of an iLBC frame (RFC 3951 sections 3.5 and 4.2): 57 or 58 residual samples
// passed through a circular all-pass, scaled by a 6-bit maximum and coded 3 bits a sample with
// noise shaping. The rest of the frame is predicted from it, forwards and backwards.
#pragma once

#include "ilbc_tables.hpp"

namespace sylk::audio::ilbc {

struct StartStateCode {
    int scale = 0;
    int samples[58] = {};
};

// residual: `length` samples; synthesis/weighting: A(z) of the two sub-blocks holding the state,
// consecutive (2 * (kOrder + 1) each); stateFirst: the coded samples open those sub-blocks.
StartStateCode quantizeStartState(const float* residual, int length, const float* synthesis,
                                  const float* weighting, bool stateFirst);

// Decoded residual of the state: `length` samples from the code and the first sub-block's A(z).
void constructStartState(const StartStateCode& code, const float* synthesis, int length, float* out);

}  // namespace sylk::audio::ilbc
