// Fuzz target for the MSRP frame reader (sylkcore/msrp/parser): the input is fed whole and
// again in pieces whose sizes come from the input itself, and both must agree (same frames, or
// both a framing error) -- the reader may not depend on where reads split the stream. Every
// sound frame written back by Message::serialize must read back as the same frame.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sylkcore/msrp/parser.hpp"

namespace {

using sylk::msrp::Message;
using sylk::msrp::ParseError;
using sylk::msrp::Parser;

struct Outcome {
    std::vector<std::string> frames;  // serialized, with the malformed reason
    bool failed = false;
};

Outcome readAll(std::string_view input, const std::vector<size_t>& splits, Parser::Limits limits) {
    Outcome outcome;
    Parser parser(limits);
    std::vector<Message> frames;
    size_t at = 0, next = 0;
    try {
        while (at < input.size()) {
            size_t size = splits.empty() ? input.size() : splits[next++ % splits.size()];
            size = std::min(size, input.size() - at);
            parser.feed(input.substr(at, size), frames);
            at += size;
        }
    } catch (const ParseError&) {
        outcome.failed = true;
    }
    for (const auto& frame : frames)
        outcome.frames.push_back(frame.serialize() + "|" + frame.malformed);
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    // Small limits, so that the fuzzer reaches them.
    Parser::Limits limits{.maxHeaderBytes = 512, .maxBodyBytes = 2048};
    std::vector<size_t> splits;
    for (size_t i = 0; i < std::min<size_t>(8, all.size()); ++i)
        splits.push_back(1 + static_cast<uint8_t>(all[i]) % 17);
    Outcome whole = readAll(all, {}, limits);
    Outcome pieces = readAll(all, splits, limits);
    // A framing error found whole shows in pieces too, after the same frames.
    if (whole.failed != pieces.failed || whole.frames != pieces.frames)
        __builtin_trap();

    Parser parser(limits);
    std::vector<Message> frames;
    try {
        parser.feed(all, frames);
    } catch (const ParseError&) {
    }
    for (const auto& frame : frames) {
        if (!frame.malformed.empty())
            continue;
        std::string wire = frame.serialize();
        Parser again(Parser::Limits{.maxHeaderBytes = 1 << 20, .maxBodyBytes = 1 << 20});
        std::vector<Message> reread;
        try {
            again.feed(wire, reread);
        } catch (const ParseError&) {
            __builtin_trap();
        }
        if (reread.size() != 1 || reread[0].serialize() != wire || !reread[0].malformed.empty())
            __builtin_trap();
    }
    return 0;
}
