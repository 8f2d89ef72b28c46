// Fuzz target: OpenPGP public keys (sylkcore/pgp/public_key) as a text/pgp-public-key body
// brings them. Any input either throws PublicKeyRefused or yields a key whose armored export
// parses again to the same fingerprint (aborts otherwise): what is stored is always a valid key.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sylkcore/pgp/public_key.hpp"

using namespace sylk::pgp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    try {
        auto key = PublicKey::parse(input);
        if (key.fingerprint().empty() || key.userIds().empty())
            abort();
        if (PublicKey::parse(key.armored()).fingerprint() != key.fingerprint())
            abort();
    } catch (const PublicKeyRefused&) {
    }
    return 0;
}
