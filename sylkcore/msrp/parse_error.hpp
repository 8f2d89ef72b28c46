// What the MSRP code throws for bytes that do not read as MSRP (a URI, a header, a frame).
// The Parser throws it only for a framing error, after which the byte stream cannot be read on:
// the connection is closed. A frame that is delimited but has a bad header is not a ParseError
// (Message::malformed says why; the receiver answers 400 and reads on).
#pragma once

#include <stdexcept>
#include <string>

#include "sylkcore/api.hpp"

namespace sylk::msrp {

class SYLK_API ParseError : public std::runtime_error {
public:
    explicit ParseError(const std::string& why) : std::runtime_error(why) {}
};

}  // namespace sylk::msrp
