#include <string>

#include "cmocka_cpp.hpp"
#include "request_errors.hpp"
#include "plugins/echo/echo_requests.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/request_error.hpp"

using namespace sylk;

static void configure_reads_every_field(void**) {
    Json body = Json::parse(R"({"request":"configure","audio":false,"video":true,"data":true,"bitrate":256000,"keyframe":true})");
    RequestReader reader(body.get());
    reader.optionalString("request");
    auto request = echo::parseConfigure(reader);
    assert_false(*request.audio);
    assert_true(*request.video);
    assert_true(*request.data);
    assert_int_equal(*request.bitrate, 256000);
    assert_true(request.keyframe);
}

static void configure_refuses_bad_fields(void**) {
    for (const char* text : {R"({"audio":"yes"})", R"({"bitrate":-1})", R"({"bitrate":1.5})", R"({"volume":3})"}) {
        Json body = Json::parse(text);
        RequestReader reader(body.get());
        int code = 0;
        try {
            echo::parseConfigure(reader);
        } catch (const RequestError& e) {
            code = static_cast<int>(e.code());
        }
        assert_int_equal(code, 1003);
    }
}

static void configure_takes_the_stock_echotest_codecs_and_refuses_what_it_lacks(void**) {
    Json body = Json::parse(R"({"audio":true,"video":true,"audiocodec":"pcmu","videocodec":"vp9"})");
    RequestReader reader(body.get());
    auto request = echo::parseConfigure(reader);
    assert_string_equal(request.audioCodec->c_str(), "pcmu");
    assert_string_equal(request.videoCodec->c_str(), "vp9");
    for (const char* text : {R"({"record":true,"filename":"x"})", R"({"substream":1})", R"({"temporal":0})",
                             R"({"fallback":1})", R"({"videoprofile":"42e01f"})", R"({"opusred":true})",
                             R"({"min_delay":0})", R"({"max_delay":10})"}) {
        Json stock = Json::parse(text);
        RequestReader stockReader(stock.get());
        std::string message;
        assert_int_equal(errorOf([&] { echo::parseConfigure(stockReader); }, &message), 1102);
        assert_non_null(strstr(message.c_str(), "of the stock echotest is not supported"));
    }
    Json unknownCodec = Json::parse(R"({"audiocodec":"speex"})");
    RequestReader codecReader(unknownCodec.get());
    std::string message;
    assert_int_equal(errorOf([&] { echo::parseConfigure(codecReader); }, &message), 1003);
    assert_non_null(strstr(message.c_str(), "must be one of opus"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(configure_reads_every_field),
        cmocka_unit_test(configure_refuses_bad_fields),
        cmocka_unit_test(configure_takes_the_stock_echotest_codecs_and_refuses_what_it_lacks),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
