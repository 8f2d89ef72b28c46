// The digest of the MSRP relay client (RFC 4976 AUTH uses RFC 2617 Digest): the request-digest
// against RFC 2617's own worked example, challenges as relays write them (Kamailio's included),
// refusals of what is not a usable challenge, and when a grant is refreshed.
#include <chrono>
#include <string>

#include "sylkcore/msrp/digest_challenge.hpp"
#include "sylkcore/msrp/parse_error.hpp"
#include "sylkcore/msrp/relay_client.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using sylk::msrp::DigestChallenge;
using sylk::msrp::ParseError;
using sylk::msrp::RelayClient;

static bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

static bool refuses(const char* header) {
    try {
        DigestChallenge::parse(header);
    } catch (const ParseError&) {
        return true;
    }
    return false;
}

// RFC 2617 §3.5: Mufasa / "Circle Of Life" GET /dir/index.html.
static void rfc2617_example_digest(void**) {
    std::string digest = DigestChallenge::response("Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                                                   "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth",
                                                   "00000001", "0a4f113b");
    assert_string_equal(digest.c_str(), "6629fae49393a05397450978507c4ef1");
}

static void rfc2617_example_challenge_and_answer(void**) {
    auto challenge = DigestChallenge::parse(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    assert_string_equal(challenge.realm.c_str(), "testrealm@host.com");
    assert_string_equal(challenge.nonce.c_str(), "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_string_equal(challenge.opaque.c_str(), "5ccc069c403ebaf9f0171e9517f40e41");
    assert_int_equal(challenge.qop.size(), 2);
    assert_string_equal(challenge.qop[1].c_str(), "auth-int");
    assert_true(challenge.supported());
    std::string answer = challenge.authorization("Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1);
    assert_true(contains(answer, "response=\"6629fae49393a05397450978507c4ef1\""));
    assert_true(contains(answer, "qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
    assert_true(contains(answer, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    assert_true(contains(answer, "uri=\"/dir/index.html\""));
    assert_false(contains(answer, "Circle Of Life"));  // the password itself never goes out
}

// What Kamailio's auth module sends to an MSRP AUTH, and the answer for method AUTH with the
// relay's URI as digest-uri (RFC 4976 §5.1).
static void relay_challenge_for_auth(void**) {
    auto challenge = DigestChallenge::parse("Digest realm=\"relay.test\", nonce=\"axMKkWsTCWUcOgTLN3eHmvOagcXF+WiD\", qop=\"auth\"");
    std::string answer = challenge.authorization("relayuser", "relay-secret", "AUTH", "msrps://10.77.0.1:2856;tcp",
                                                 "cafe", 1);
    std::string expected = DigestChallenge::response("relayuser", "relay.test", "relay-secret", "AUTH",
                                                     "msrps://10.77.0.1:2856;tcp", "axMKkWsTCWUcOgTLN3eHmvOagcXF+WiD",
                                                     "auth", "00000001", "cafe");
    assert_true(contains(answer, "response=\"" + expected + "\""));
    assert_true(contains(answer, "uri=\"msrps://10.77.0.1:2856;tcp\""));
    // no qop offered: the RFC 2069 form, without nc and cnonce
    auto old = DigestChallenge::parse("digest nonce=abc, realm=r");
    assert_true(old.supported());
    std::string oldAnswer = old.authorization("u", "p", "AUTH", "msrp://h:1;tcp", "x", 1);
    assert_false(contains(oldAnswer, "nc="));
    assert_true(contains(oldAnswer, DigestChallenge::response("u", "r", "p", "AUTH", "msrp://h:1;tcp", "abc", "", "", "")));
}

static void quoted_values_and_flags(void**) {
    auto challenge = DigestChallenge::parse(
        "Digest  realm=\"a, \\\"quoted\\\" realm\" ,nonce=\"n\",stale=TRUE, algorithm=MD5, domain=\"msrp://x\"");
    assert_string_equal(challenge.realm.c_str(), "a, \"quoted\" realm");
    assert_true(challenge.stale);
    assert_true(challenge.supported());
    std::string answer = challenge.authorization("u\"ser", "p", "AUTH", "msrp://h:1;tcp", "c", 2);
    assert_true(contains(answer, "username=\"u\\\"ser\""));
    assert_true(contains(answer, "realm=\"a, \\\"quoted\\\" realm\""));
    assert_false(DigestChallenge::parse("Digest realm=r, nonce=n, algorithm=SHA-256").supported());
    assert_false(DigestChallenge::parse("Digest realm=r, nonce=n, qop=\"auth-int\"").supported());
}

static void unusable_challenges_are_refused(void**) {
    assert_true(refuses(""));
    assert_true(refuses("Basic realm=\"r\""));
    assert_true(refuses("Digest"));
    assert_true(refuses("Digestrealm=r, nonce=n"));
    assert_true(refuses("Digest realm=\"r\""));             // no nonce
    assert_true(refuses("Digest nonce=\"n\""));             // no realm
    assert_true(refuses("Digest realm=\"r, nonce=\"n\""));  // the quote never ends
    assert_true(refuses("Digest realm=r nonce=n"));         // no comma
    assert_true(refuses("Digest realm=, nonce=n"));
    assert_true(refuses("Digest =r, nonce=n"));
    assert_true(refuses("Digest realm r, nonce=n"));
}

static void refresh_before_expiry(void**) {
    using namespace std::chrono;
    assert_int_equal(RelayClient::refreshDelay(seconds(3600)).count(), 2700000);
    assert_int_equal(RelayClient::refreshDelay(seconds(60)).count(), 45000);
    assert_int_equal(RelayClient::refreshDelay(seconds(1)).count(), 1000);
    assert_int_equal(RelayClient::refreshDelay(seconds(0)).count(), 1000);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc2617_example_digest),
        cmocka_unit_test(rfc2617_example_challenge_and_answer),
        cmocka_unit_test(relay_challenge_for_auth),
        cmocka_unit_test(quoted_values_and_flags),
        cmocka_unit_test(unusable_challenges_are_refused),
        cmocka_unit_test(refresh_before_expiry),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
