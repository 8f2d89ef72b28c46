#include "ilbc_frame.hpp"

#include <cstring>
#include <functional>

namespace sylk::audio::ilbc {
namespace {

const FrameMode kMode20{20, 160, 4, 2, 1, 38, 57, &kLayout20ms};
const FrameMode kMode30{30, 240, 6, 4, 2, 50, 58, &kLayout30ms};

// Visits every parameter of a frame in bitstream order with its three class widths.
template <typename Params, typename Visit>
void forEachField(const FrameMode& mode, Params& params, Visit visit) {
    const BitLayout& layout = *mode.layout;
    for (int k = 0; k < 3 * mode.lsfSets; ++k)
        visit(params.lsf[k], layout.lsf[k]);
    visit(params.start, layout.start);
    visit(params.stateFirst, layout.stateFirst);
    visit(params.scale, layout.scale);
    for (int k = 0; k < mode.stateShortLength; ++k)
        visit(params.state[k], layout.state);
    for (int k = 0; k < kStages; ++k)
        visit(params.extraIndex[k], layout.extraIndex[k]);
    for (int k = 0; k < kStages; ++k)
        visit(params.extraGain[k], layout.extraGain[k]);
    for (int block = 0; block < mode.codedSubframes; ++block)
        for (int k = 0; k < kStages; ++k)
            visit(params.index[block][k], layout.index[block][k]);
    for (int block = 0; block < mode.codedSubframes; ++block)
        for (int k = 0; k < kStages; ++k)
            visit(params.gain[block][k], layout.gain[block][k]);
}

// The first coded sub-block's later stages have 7-bit indexes: only part of its codebook
// (RFC 3951 section 3.6.4.2) is reachable, and the bitstream folds that part onto 0..127.
int foldIndex(int index) {
    if (index >= 108 && index < 172)
        return index - 64;
    if (index >= 236)
        return index - 128;
    return index;
}
int unfoldIndex(int index) {
    if (index >= 44 && index < 108)
        return index + 64;
    if (index >= 108 && index < 128)
        return index + 128;
    return index;
}

int codebookEntries(int memoryLength, int vectorLength) {
    int base = memoryLength - vectorLength + 1 + (vectorLength == kSubframe ? vectorLength / 2 : 0);
    return 2 * base;
}

}  // namespace

const FrameMode* FrameMode::forBytes(size_t bytes) {
    if (bytes == 38)
        return &kMode20;
    if (bytes == 50)
        return &kMode30;
    return nullptr;
}

const FrameMode& FrameMode::forMilliseconds(int milliseconds) { return milliseconds == 20 ? kMode20 : kMode30; }

void FrameParameters::write(const FrameMode& mode, uint8_t* out) const {
    FrameParameters folded = *this;
    for (int k = 1; k < kStages; ++k)
        folded.index[0][k] = foldIndex(index[0][k]);
    std::memset(out, 0, static_cast<size_t>(mode.bytes));
    int bit = 0;
    for (int cls = 0; cls < 3; ++cls) {
        forEachField(mode, folded, [&](const int& value, const int (&widths)[3]) {
            int lower = 0;
            for (int later = cls + 1; later < 3; ++later)
                lower += widths[later];
            int part = (value >> lower) & ((1 << widths[cls]) - 1);
            for (int b = widths[cls] - 1; b >= 0; --b, ++bit) {
                if ((part >> b) & 1)
                    out[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
            }
        });
    }
    // The remaining bit (the last of the frame) stays 0: set, it marks the frame empty.
}

bool FrameParameters::read(const FrameMode& mode, const uint8_t* in) {
    if (in[mode.bytes - 1] & 1)
        return false;
    *this = FrameParameters{};
    start = 0;  // every field is assembled from its bits
    int bit = 0;
    for (int cls = 0; cls < 3; ++cls) {
        forEachField(mode, *this, [&](int& value, const int (&widths)[3]) {
            int lower = 0;
            for (int later = cls + 1; later < 3; ++later)
                lower += widths[later];
            int part = 0;
            for (int b = 0; b < widths[cls]; ++b, ++bit)
                part = (part << 1) | ((in[bit / 8] >> (7 - bit % 8)) & 1);
            value |= part << lower;
        });
    }
    for (int k = 1; k < kStages; ++k)
        index[0][k] = unfoldIndex(index[0][k]);
    if (start < 1 || start > mode.subframes - 1)
        return false;
    int extraLength = kStateLength - mode.stateShortLength;
    for (int k = 0; k < kStages; ++k) {
        if (extraIndex[k] >= codebookEntries(kStateMemoryLength, extraLength))
            return false;
    }
    return true;
}

}  // namespace sylk::audio::ilbc
