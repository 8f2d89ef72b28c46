#include <string>

#include <cstring>

#include "plugins/sip/sip_sdp.hpp"
#include "sylkcore/net/srtp_session.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::sip;

static const char* kOffer =
    "v=0\r\no=phone 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 18 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n";

static void picks_the_first_codec_we_mix(void**) {
    std::string reason;
    auto audio = chooseAudio(kOffer, &reason);
    assert_true(audio.has_value());
    assert_string_equal(audio->codec.c_str(), "pcmu");
    assert_int_equal(audio->payloadType, 0);
    assert_int_equal(audio->telephoneEventPt, 101);
    assert_string_equal(audio->address.c_str(), "192.0.2.7");
    assert_int_equal(audio->port, 40000);
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/AVP 0 101\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=rtpmap:0 PCMU/8000\r\n"));
    auto back = chooseAudio(answer, &reason);
    assert_true(back.has_value() && back->codec == "pcmu" && back->port == 30000);
}

static void explains_what_it_cannot_take(void**) {
    std::string reason;
    assert_false(chooseAudio("v=0\r\nm=audio 4 RTP/AVP 18\r\nc=IN IP4 1.2.3.4\r\na=rtpmap:18 G729/8000\r\n", &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "no common codec"));
    reason.clear();
    assert_false(chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4 RTP/SAVP 0\r\n", &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "a=crypto"));
    reason.clear();
    assert_false(chooseAudio("not sdp", &reason).has_value());
    assert_false(reason.empty());
}

static void takes_sdes_srtp(void**) {
    std::string reason;
    std::string peerKey = sylk::net::SrtpSession::makeKey();
    std::string offer = std::string("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 40000 RTP/SAVP 0\r\n") +
                        "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" + peerKey + "\r\n"     // a suite we lack
                        "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" + peerKey + "|2^31\r\n";
    auto audio = chooseAudio(offer, &reason);
    assert_true(audio.has_value());
    assert_true(audio->srtp());
    assert_int_equal(audio->cryptoTag, 2);
    assert_string_equal(audio->cryptoKey.c_str(), peerKey.c_str());
    std::string ourKey = sylk::net::SrtpSession::makeKey();
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1, "sendrecv", ourKey);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/SAVP 0\r\n"));
    assert_non_null(strstr(answer.c_str(), ("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" + ourKey + "\r\n").c_str()));

    // The two ends' sessions: what one protects, the other unprotects; a flipped bit does not.
    sylk::net::SrtpSession phone("AES_CM_128_HMAC_SHA1_80", peerKey, ourKey);
    sylk::net::SrtpSession us("AES_CM_128_HMAC_SHA1_80", ourKey, peerKey);
    uint8_t packet[12 + 160 + sylk::net::SrtpSession::kMaxTrailer] = {0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4};
    for (int i = 12; i < 172; ++i)
        packet[i] = static_cast<uint8_t>(i);
    size_t length = 172;
    assert_true(phone.protect(packet, length));
    assert_int_equal(length, 182);  // the 80-bit tag
    uint8_t copy[sizeof(packet)];
    memcpy(copy, packet, sizeof(packet));
    assert_true(us.unprotect(packet, length));
    assert_int_equal(length, 172);
    assert_int_equal(packet[100], 100);
    size_t tamperedLength = 182;
    copy[50] ^= 1;
    copy[3] = 2;  // another sequence number: not a replay
    assert_false(us.unprotect(copy, tamperedLength));

    // No usable crypto: refused with the reason.
    assert_false(chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n",
                             &reason).has_value());
    std::string plainOffer = buildOffer("127.0.0.1", 30000, 1, 1, "sendrecv", "optional", ourKey);
    assert_non_null(strstr(plainOffer.c_str(), "RTP/AVP"));
    assert_non_null(strstr(plainOffer.c_str(), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
    assert_non_null(strstr(buildOffer("127.0.0.1", 30000, 1, 1, "sendrecv", "mandatory", ourKey).c_str(), "RTP/SAVP"));
}

// RFC 3264 §6.1: the answer keeps the offer's payload type numbers and what they mean. An
// offer of 99 telephone-event/48000 and 101 telephone-event/8000 was answered with
// "99 telephone-event/8000", redefining 99.
static void keeps_the_offers_payload_types(void**) {
    std::string reason;
    const char* twoEvents =
        "v=0\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 99 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:99 telephone-event/48000\r\na=rtpmap:101 telephone-event/8000\r\n";
    auto audio = chooseAudio(twoEvents, &reason);
    assert_true(audio.has_value());
    assert_int_equal(audio->telephoneEventPt, 101);  // the one at PCMU's clock rate
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/AVP 0 101\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=rtpmap:101 telephone-event/8000\r\n"));
    assert_null(strstr(answer.c_str(), "a=rtpmap:99"));

    // With Opus the 48 kHz one fits; with only a 48 kHz one and PCMU, that one, at 48 kHz.
    const char* opus =
        "v=0\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 40000 RTP/AVP 111 101 99\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:99 telephone-event/48000\r\n";
    audio = chooseAudio(opus, &reason);
    assert_true(audio.has_value() && audio->codec == "opus" && audio->payloadType == 111);
    answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/AVP 111 99\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=rtpmap:99 telephone-event/48000\r\n"));
    audio = chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 8 99\r\na=rtpmap:99 telephone-event/48000\r\n",
                        &reason);
    assert_true(audio.has_value() && audio->codec == "pcma" && audio->telephoneEventPt == 99);
    assert_non_null(strstr(buildAnswer("127.0.0.1", 30000, *audio, 5, 1).c_str(), "a=rtpmap:99 telephone-event/48000\r\n"));

    // A dynamic type naming a codec at another clock rate is not that codec: the next is taken,
    // and the answer's rtpmap never gives 96 another rate.
    audio = chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 96 0\r\na=rtpmap:96 PCMU/16000\r\n", &reason);
    assert_true(audio.has_value() && audio->payloadType == 0);
    assert_false(chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 96\r\na=rtpmap:96 opus/8000\r\n", &reason)
                     .has_value());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_first_codec_we_mix),
        cmocka_unit_test(explains_what_it_cannot_take),
        cmocka_unit_test(takes_sdes_srtp),
        cmocka_unit_test(keeps_the_offers_payload_types),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
