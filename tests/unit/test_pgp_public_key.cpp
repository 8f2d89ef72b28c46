// OpenPGP public keys (sylkcore/pgp) checked with librnp. The fixtures were made once with gpg
// (tests/unit/fixtures/pgp/README): Alice's key (two user IDs, a signing primary and an
// encryption subkey) armored and binary, Bob's, both in one file, Alice's secret key, and
// Alice's key with its second user ID altered after signing (the key itself still "valid").
#include <fstream>
#include <sstream>
#include <string>

#include "sylkcore/pgp/public_key.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::pgp;

namespace {

std::string fixture(const char* name) {
    std::ifstream in(std::string(PGP_FIXTURES) + "/" + name, std::ios::binary);
    assert_true(in.good());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string refusal(const std::string& data) {
    try {
        PublicKey::parse(data);
    } catch (const PublicKeyRefused& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

static void accepts_a_key_with_every_user_id_bound(void**) {
    std::string expected = fixture("alice.fingerprint");
    expected.erase(expected.find_last_not_of("\n") + 1);
    for (const char* name : {"alice.asc", "alice.gpg"}) {
        auto key = PublicKey::parse(fixture(name));
        assert_string_equal(key.fingerprint().c_str(), expected.c_str());
        assert_int_equal(key.userIds().size(), 2);
        assert_string_equal(key.userIds()[0].c_str(), "Alice <alice@example.test>");
        assert_string_equal(key.userIds()[1].c_str(), "Alice Work <alice@work.example.test>");
        assert_true(contains(key.armored(), "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        // What is exported parses again to the same key (the stored form is a valid key).
        auto again = PublicKey::parse(key.armored());
        assert_string_equal(again.fingerprint().c_str(), expected.c_str());
        assert_false(contains(key.armored(), "PRIVATE"));
    }
}

static void refuses_a_tampered_user_id(void**) {
    std::string why = refusal(fixture("alice-tampered-uid.asc"));
    assert_true(contains(why, "Mallory!!!"));
    assert_true(contains(why, "no valid self-signature"));
}

static void refuses_a_secret_key(void**) {
    std::string why = refusal(fixture("alice-secret.asc"));
    assert_true(contains(why, "secret (private) key"));
}

static void refuses_two_keys(void**) {
    assert_true(contains(refusal(fixture("two-keys.asc")), "more than one public key"));
}

static void refuses_garbage_empty_and_oversized(void**) {
    assert_true(contains(refusal(""), "empty"));
    assert_false(refusal("hello, this is not a key").empty());
    assert_false(refusal("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n").empty());
    std::string alice = fixture("alice.asc");
    assert_false(refusal(alice.substr(0, alice.size() / 2)).empty());
    std::string big = alice + std::string(PublicKey::kMaxSize, '\n');
    assert_true(contains(refusal(big), "larger than 64 KiB"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_a_key_with_every_user_id_bound),
        cmocka_unit_test(refuses_a_tampered_user_id),
        cmocka_unit_test(refuses_a_secret_key),
        cmocka_unit_test(refuses_two_keys),
        cmocka_unit_test(refuses_garbage_empty_and_oversized),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
