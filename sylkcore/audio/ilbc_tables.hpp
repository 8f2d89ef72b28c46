// Constant data of iLBC (RFC 3951 section 3 and its appendix tables): the codec is defined by
// these numbers, so encoder and decoder must share them exactly. Read-only; no mutable state.
#pragma once

#include <array>
#include <cstdint>

namespace sylk::audio::ilbc {

constexpr int kOrder = 10;           // LPC filter order
constexpr int kSubframe = 40;        // samples per sub-block
constexpr int kStateLength = 80;     // two sub-blocks hold the start state
constexpr int kMemoryLength = 147;   // adaptive codebook memory (CB_MEML)
constexpr int kStateMemoryLength = 85;  // memory for the 22/23-sample part next to the state
constexpr int kStages = 3;           // codebook stages per sub-block
constexpr int kFilterLength = 8;     // codebook expansion filter

// LSF split vector quantizer: three splits of 3, 3 and 4 coefficients (Q13 in the table).
constexpr std::array<int, 3> kLsfSplitDimension{3, 3, 4};
constexpr std::array<int, 3> kLsfSplitSize{64, 128, 128};
extern const int16_t kLsfCodebookQ13[64 * 3 + 128 * 3 + 128 * 4];
extern const float kLsfMean[kOrder];

extern const float kStateScalarLevels[8];    // state_sq3Tbl
extern const float kStateMaxLog10[64];       // state_frgqTbl
extern const float kGain5Bit[32];
extern const float kGain4Bit[16];
extern const float kGain3Bit[8];
extern const float kCodebookFilter[kFilterLength];

extern const float kInputHighpassZeros[3];
extern const float kInputHighpassPoles[3];
extern const float kOutputHighpassZeros[3];
extern const float kOutputHighpassPoles[3];

// Unequal-protection bit layout of one frame mode (RFC 3951 section 3.6): every parameter's bits
// split over three classes, written class by class, most significant bits first.
struct BitLayout {
    int lsf[6][3];
    int start[3];
    int stateFirst[3];
    int scale[3];
    int state[3];
    int extraIndex[kStages][3];
    int extraGain[kStages][3];
    int index[4][kStages][3];
    int gain[4][kStages][3];
};
extern const BitLayout kLayout20ms;
extern const BitLayout kLayout30ms;

}  // namespace sylk::audio::ilbc
