// Two ZrtpSessions (real libbzrtp) talk to each other in memory: both reach SECURE with the
// same SAS and mirrored SRTP keys; a second call between the same URIs finds the retained
// secret in both caches (no mismatch); a corrupted packet is dropped without harm; what is
// not ZRTP is told apart from RTP.
#include <glib.h>
#include <glib/gstdio.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "sylkcore/net/zrtp_cache.hpp"
#include "sylkcore/net/zrtp_session.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::net;

namespace {

struct Wire {
    std::deque<std::vector<uint8_t>> toA, toB;
};

struct Result {
    bool done = false;
    ZrtpKeys keys;
};

// Runs one exchange between alice (SSRC 1) and bob (SSRC 2); corrupt flips a byte of the
// first packet bob sends. Returns both ends' results.
std::pair<Result, Result> exchange(ZrtpCache* aliceCache, ZrtpCache* bobCache, bool corrupt = false) {
    Wire wire;
    Result a, b;
    bool corrupted = false;
    ZrtpSession alice(1, aliceCache, "sip:alice@example.com", "sip:bob@example.com",
                      [&](const uint8_t* p, size_t n) { wire.toB.emplace_back(p, p + n); },
                      [&](const ZrtpKeys& keys) { a = {true, keys}; });
    ZrtpSession bob(2, bobCache, "sip:bob@example.com", "sip:alice@example.com",
                    [&](const uint8_t* p, size_t n) {
                        wire.toA.emplace_back(p, p + n);
                        if (corrupt && !corrupted) {
                            wire.toA.back()[20] ^= 0x40;
                            corrupted = true;
                        }
                    },
                    [&](const ZrtpKeys& keys) { b = {true, keys}; });
    std::string aliceHash = alice.helloHash(), bobHash = bob.helloHash();
    assert_int_equal(aliceHash.size(), 69);  // "1.10 " and 64 hex digits
    alice.start(bobHash);
    bob.start(aliceHash);
    for (int round = 0; round < 400 && !(a.done && b.done); ++round) {
        while (!wire.toA.empty() || !wire.toB.empty()) {
            if (!wire.toA.empty()) {
                auto packet = std::move(wire.toA.front());
                wire.toA.pop_front();
                assert_true(ZrtpSession::isZrtp(packet.data(), packet.size()));
                alice.receive(packet.data(), packet.size());
            }
            if (!wire.toB.empty()) {
                auto packet = std::move(wire.toB.front());
                wire.toB.pop_front();
                assert_true(ZrtpSession::isZrtp(packet.data(), packet.size()));
                bob.receive(packet.data(), packet.size());
            }
        }
        g_usleep(10000);  // bzrtp's retransmission timers run on the monotonic clock
        alice.tick();
        bob.tick();
    }
    return {a, b};
}

}  // namespace

static void two_ends_agree_on_keys_and_sas(void**) {
    gchar* folder = g_dir_make_tmp("sylk-zrtp-XXXXXX", nullptr);
    {
        ZrtpCache aliceCache(std::string(folder) + "/alice.sqlite");
        ZrtpCache bobCache(std::string(folder) + "/bob.sqlite");
        auto [a, b] = exchange(&aliceCache, &bobCache);
        assert_true(a.done && b.done);
        assert_string_equal(a.keys.sas.c_str(), b.keys.sas.c_str());
        assert_int_equal(a.keys.sas.size(), 4);
        assert_string_equal(a.keys.suite.c_str(), b.keys.suite.c_str());
        assert_string_equal(a.keys.localKey.c_str(), b.keys.remoteKey.c_str());  // what one sends, the other reads
        assert_string_equal(a.keys.remoteKey.c_str(), b.keys.localKey.c_str());
        assert_string_not_equal(a.keys.localKey.c_str(), a.keys.remoteKey.c_str());
        assert_false(a.keys.cacheMismatch || b.keys.cacheMismatch);

        // The second call: retained secrets from the first, in both caches, match; new keys
        auto [a2, b2] = exchange(&aliceCache, &bobCache);
        assert_true(a2.done && b2.done);
        assert_false(a2.keys.cacheMismatch || b2.keys.cacheMismatch);
        assert_string_equal(a2.keys.sas.c_str(), b2.keys.sas.c_str());
        assert_string_not_equal(a2.keys.localKey.c_str(), a.keys.localKey.c_str());

        // A corrupted packet (bad CRC) is dropped; the retransmission completes the exchange
        auto [a3, b3] = exchange(&aliceCache, &bobCache, true);
        assert_true(a3.done && b3.done);
        assert_string_equal(a3.keys.sas.c_str(), b3.keys.sas.c_str());
    }
    g_remove((std::string(folder) + "/alice.sqlite").c_str());
    g_remove((std::string(folder) + "/bob.sqlite").c_str());
    g_rmdir(folder);
    g_free(folder);
}

static void tells_zrtp_from_rtp(void**) {
    uint8_t rtp[40] = {0x80, 0, 0, 1, 'Z', 'R', 'T', 'P'};
    assert_false(ZrtpSession::isZrtp(rtp, sizeof(rtp)));  // version 2: RTP, whatever follows
    uint8_t zrtp[40] = {0x10, 0, 0, 1, 'Z', 'R', 'T', 'P'};
    assert_true(ZrtpSession::isZrtp(zrtp, sizeof(zrtp)));
    assert_false(ZrtpSession::isZrtp(zrtp, 12));          // shorter than any ZRTP message
    zrtp[7] = 'X';
    assert_false(ZrtpSession::isZrtp(zrtp, sizeof(zrtp)));
}

static void a_cache_that_cannot_open_is_an_error(void**) {
    bool thrown = false;
    try {
        ZrtpCache cache("/nonexistent-folder/zrtp.sqlite");
    } catch (const std::runtime_error& e) {
        thrown = std::string(e.what()).find("/nonexistent-folder/zrtp.sqlite") != std::string::npos;
    }
    assert_true(thrown);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_ends_agree_on_keys_and_sas),
        cmocka_unit_test(tells_zrtp_from_rtp),
        cmocka_unit_test(a_cache_that_cannot_open_is_an_error),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
