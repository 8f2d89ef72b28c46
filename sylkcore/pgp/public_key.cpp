#include "public_key.hpp"

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <memory>

namespace sylk::pgp {

namespace {

// RAII owners for the librnp handles used here.
struct FfiFree { void operator()(rnp_ffi_st* p) const { rnp_ffi_destroy(p); } };
struct InputFree { void operator()(rnp_input_st* p) const { rnp_input_destroy(p); } };
struct OutputFree { void operator()(rnp_output_st* p) const { rnp_output_destroy(p); } };
struct KeyFree { void operator()(rnp_key_handle_st* p) const { rnp_key_handle_destroy(p); } };
struct UidFree { void operator()(rnp_uid_handle_st* p) const { rnp_uid_handle_destroy(p); } };
struct IteratorFree { void operator()(rnp_identifier_iterator_st* p) const { rnp_identifier_iterator_destroy(p); } };
using Ffi = std::unique_ptr<rnp_ffi_st, FfiFree>;
using Input = std::unique_ptr<rnp_input_st, InputFree>;
using Output = std::unique_ptr<rnp_output_st, OutputFree>;
using Key = std::unique_ptr<rnp_key_handle_st, KeyFree>;
using Uid = std::unique_ptr<rnp_uid_handle_st, UidFree>;
using Iterator = std::unique_ptr<rnp_identifier_iterator_st, IteratorFree>;

// A string librnp allocated, copied and freed.
std::string take(char* buffer) {
    std::string value = buffer ? buffer : "";
    rnp_buffer_destroy(buffer);
    return value;
}

void need(rnp_result_t result, const char* what) {
    if (result != RNP_SUCCESS)
        throw PublicKeyRefused(std::string(what) + " (" + rnp_result_to_string(result) + ")");
}

bool flag(rnp_result_t (*query)(rnp_key_handle_t, bool*), rnp_key_handle_t key) {
    bool value = false;
    return query(key, &value) == RNP_SUCCESS && value;
}

}  // namespace

PublicKey PublicKey::parse(const std::string& data) {
    if (data.empty())
        throw PublicKeyRefused("the public key is empty");
    if (data.size() > kMaxSize)
        throw PublicKeyRefused("the public key is larger than " + std::to_string(kMaxSize / 1024) + " KiB");

    rnp_ffi_t rawFfi = nullptr;
    need(rnp_ffi_create(&rawFfi, "GPG", "GPG"), "the OpenPGP library could not start");
    Ffi ffi(rawFfi);
    rnp_input_t rawInput = nullptr;
    need(rnp_input_from_memory(&rawInput, reinterpret_cast<const uint8_t*>(data.data()), data.size(), false),
         "the public key could not be read");
    Input input(rawInput);
    // Secret keys are imported too, so that their presence is seen and refused, never kept.
    char* results = nullptr;
    need(rnp_import_keys(ffi.get(), input.get(), RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS, &results),
         "not an OpenPGP key");
    take(results);

    size_t secretCount = 0;
    need(rnp_get_secret_key_count(ffi.get(), &secretCount), "the key could not be inspected");
    if (secretCount > 0)
        throw PublicKeyRefused("a secret (private) key was sent: refused, and not stored");

    rnp_identifier_iterator_t rawIterator = nullptr;
    need(rnp_identifier_iterator_create(ffi.get(), &rawIterator, "fingerprint"), "the key could not be inspected");
    Iterator iterator(rawIterator);
    Key primary;
    std::string primaryFingerprint;
    const char* identifier = nullptr;
    while (rnp_identifier_iterator_next(iterator.get(), &identifier) == RNP_SUCCESS && identifier) {
        rnp_key_handle_t rawKey = nullptr;
        if (rnp_locate_key(ffi.get(), "fingerprint", identifier, &rawKey) != RNP_SUCCESS || !rawKey)
            continue;
        Key key(rawKey);
        if (!flag(rnp_key_is_primary, key.get()))
            continue;
        if (primary)
            throw PublicKeyRefused("more than one public key was sent; send one");
        primaryFingerprint = identifier;
        primary = std::move(key);
    }
    if (!primary)
        throw PublicKeyRefused("no primary public key in the data");
    if (!flag(rnp_key_is_valid, primary.get()))
        throw PublicKeyRefused("the key is not valid (expired, revoked or badly signed)");

    PublicKey key;
    key.fingerprint_ = primaryFingerprint;
    size_t uidCount = 0;
    need(rnp_key_get_uid_count(primary.get(), &uidCount), "the key's user IDs could not be read");
    if (uidCount == 0)
        throw PublicKeyRefused("the key has no user ID");
    for (size_t i = 0; i < uidCount; ++i) {
        char* text = nullptr;
        need(rnp_key_get_uid_at(primary.get(), i, &text), "the key's user IDs could not be read");
        std::string uidText = take(text);
        rnp_uid_handle_t rawUid = nullptr;
        need(rnp_key_get_uid_handle_at(primary.get(), i, &rawUid), "the key's user IDs could not be read");
        Uid uid(rawUid);
        bool valid = false;
        if (rnp_uid_is_valid(uid.get(), &valid) != RNP_SUCCESS || !valid)
            throw PublicKeyRefused("the user ID \"" + uidText + "\" has no valid self-signature (altered or unsigned)");
        key.userIds_.push_back(uidText);
    }

    rnp_output_t rawOutput = nullptr;
    need(rnp_output_to_memory(&rawOutput, 0), "the key could not be exported");
    Output output(rawOutput);
    need(rnp_key_export(primary.get(), output.get(),
                        RNP_KEY_EXPORT_ARMORED | RNP_KEY_EXPORT_PUBLIC | RNP_KEY_EXPORT_SUBKEYS),
         "the key could not be exported");
    uint8_t* buffer = nullptr;
    size_t length = 0;
    need(rnp_output_memory_get_buf(output.get(), &buffer, &length, false), "the key could not be exported");
    key.armored_.assign(reinterpret_cast<const char*>(buffer), length);
    return key;
}

}  // namespace sylk::pgp
