// SHA-1 over bytes fed in pieces, by OpenSSL's libcrypto (the SHA extensions where the CPU has
// them): GLib's GChecksum hashes at about 250 MB/s on this project's machines, slower than a
// file arrives over MSRP, so it was most of the server's CPU time of an upload; libcrypto's does
// about 1.8 GB/s. Lower-case hex as GChecksum gave it.
#pragma once

#include <string>
#include <string_view>

#include "../api.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace sylk::files {

class SYLK_API Sha1Hasher {
public:
    Sha1Hasher();
    ~Sha1Hasher();
    Sha1Hasher(const Sha1Hasher&) = delete;
    Sha1Hasher& operator=(const Sha1Hasher&) = delete;

    void update(std::string_view bytes);
    // The digest of everything fed so far, 40 lower-case hex digits; the hasher is done after it.
    std::string hex();

private:
    evp_md_ctx_st* context_;
};

}  // namespace sylk::files
