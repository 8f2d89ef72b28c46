// Fuzz target for MSRP URIs and paths (sylkcore/msrp/uri): what parses writes back (str())
// as a URI that parses to an equal one and writes the same again; Byte-Range likewise.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sylkcore/msrp/byte_range.hpp"
#include "sylkcore/msrp/parse_error.hpp"
#include "sylkcore/msrp/uri.hpp"

using sylk::msrp::ByteRange;
using sylk::msrp::ParseError;
using sylk::msrp::Uri;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        Uri uri = Uri::parse(input);
        std::string written = uri.str();
        Uri again = Uri::parse(written);
        if (!(again == uri) || again.str() != written)
            __builtin_trap();
        (void)uri.hostPort();
    } catch (const ParseError&) {
    }
    try {
        auto path = Uri::parsePath(input);
        auto again = Uri::parsePath(Uri::pathString(path));
        if (again.size() != path.size())
            __builtin_trap();
        for (size_t i = 0; i < path.size(); ++i) {
            if (!(again[i] == path[i]))
                __builtin_trap();
        }
    } catch (const ParseError&) {
    }
    try {
        ByteRange range = ByteRange::parse(input);
        if (ByteRange::parse(range.str()).str() != range.str())
            __builtin_trap();
    } catch (const ParseError&) {
    }
    return 0;
}
