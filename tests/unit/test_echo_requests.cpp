#include "cmocka_cpp.hpp"
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

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(configure_reads_every_field),
        cmocka_unit_test(configure_refuses_bad_fields),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
