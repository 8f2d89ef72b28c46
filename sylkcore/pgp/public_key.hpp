// An OpenPGP public key as a message carries it (text/pgp-public-key), checked with librnp
// before anything keeps it: imported from memory into a throw-away context (no keyring, no
// agent, no files), exactly one primary key, no secret key material, the primary key valid and
// every user ID's binding valid. librnp keeps a key "valid" when one of its user IDs was
// altered after signing (the binding no longer verifies), so each user ID is checked on its own.
// A pure value: no I/O beyond the librnp calls, usable from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../api.hpp"
#include "public_key_refused.hpp"

namespace sylk::pgp {

class SYLK_API PublicKey {
public:
    // Larger than any real public key with a few subkeys and photo-less user IDs.
    static constexpr size_t kMaxSize = 64 * 1024;

    // Checks data (armored or binary). Throws PublicKeyRefused: empty or over kMaxSize, not an
    // OpenPGP key, more than one primary key, secret key material, an invalid primary key, a key
    // with no user ID, or any user ID whose binding does not verify.
    static PublicKey parse(const std::string& data);

    const std::string& fingerprint() const { return fingerprint_; }  // upper-case hex, 40 digits (v4)
    const std::string& armored() const { return armored_; }          // the public key re-exported, armored
    const std::vector<std::string>& userIds() const { return userIds_; }

private:
    PublicKey() = default;
    std::string fingerprint_;
    std::string armored_;
    std::vector<std::string> userIds_;
};

}  // namespace sylk::pgp
