// Fuzz target: the WWW-Authenticate value a relay's 401 carries (RFC 4976 AUTH, RFC 2617
// Digest), read by the MSRP relay client. What parses must also produce an answer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sylkcore/msrp/digest_challenge.hpp"
#include "sylkcore/msrp/parse_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sylk::msrp;
    try {
        auto challenge = DigestChallenge::parse(std::string_view(reinterpret_cast<const char*>(data), size));
        if (challenge.supported())
            (void)challenge.authorization("user", "password", "AUTH", "msrps://relay.example:2855;tcp", "cnonce", 1);
    } catch (const ParseError&) {
    }
    return 0;
}
