// Why pgp::PublicKey refused a key; what() is the clear text for the sender.
#pragma once

#include <stdexcept>

#include "../api.hpp"

namespace sylk::pgp {

class SYLK_API PublicKeyRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace sylk::pgp
