// An OpenPGP public key the journal keeps for an account (issue 13): the key a correspondent
// (address) sent to or from the account, already checked by pgp::PublicKey. Only public keys
// ever get here; the newest key from an address replaces the older one.
#pragma once

#include <cstdint>
#include <string>

namespace sylk::store {

struct StoredPublicKey {
    std::string account;      // the gateway account that saw it
    std::string address;      // whose key: the sender's SIP URI
    std::string fingerprint;  // upper-case hex
    std::string armored;      // the public key, armored (re-exported by librnp)
    int64_t updatedUs = 0;    // when it was stored (wall clock, microseconds)
};

}  // namespace sylk::store
