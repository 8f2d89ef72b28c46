#include <string>

#include "plugins/sip/sip_sdp.hpp"
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
    assert_non_null(strstr(reason.c_str(), "SRTP"));
    reason.clear();
    assert_false(chooseAudio("not sdp", &reason).has_value());
    assert_false(reason.empty());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_first_codec_we_mix),
        cmocka_unit_test(explains_what_it_cannot_take),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
