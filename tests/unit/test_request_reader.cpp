#include <string>

#include "cmocka_cpp.hpp"
#include "request_errors.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/request_error.hpp"
#include "sylkcore/request_reader.hpp"

using namespace sylk;

static void non_objects_are_malformed(void**) {
    for (const char* text : {"[1,2]", "\"text\"", "42", "null"}) {
        Json body = Json::parse(text);
        assert_int_equal(errorOf([&] { RequestReader reader(body.get()); }), 1001);
    }
    assert_int_equal(errorOf([] { RequestReader reader(nullptr); }), 1001);
}

static void typed_fields_are_checked(void**) {
    Json body = Json::parse(R"({"s":"x","b":true,"i":5,"wrong":"5","o":{}})");
    RequestReader reader(body.get());
    assert_string_equal(reader.requireString("s").c_str(), "x");
    assert_true(reader.requireBool("b"));
    assert_int_equal(reader.requireInt("i", 0, 10), 5);
    assert_non_null(reader.optionalObject("o"));
    std::string message;
    assert_int_equal(errorOf([&] { reader.requireInt("wrong", 0, 10); }, &message), 1003);
    assert_string_equal(message.c_str(), "field 'wrong' must be an integer, not a string");
    assert_int_equal(errorOf([&] { reader.requireInt("i", 6, 10); }, &message), 1003);
    assert_int_equal(errorOf([&] { reader.requireString("absent"); }, &message), 1002);
    assert_string_equal(message.c_str(), "missing field 'absent' (a string)");
    assert_false(reader.optionalBool("absent2").has_value());
}

static void long_strings_are_refused(void**) {
    Json body = Json::object();
    body.set("s", std::string(100, 'x'));
    RequestReader reader(body.get());
    assert_int_equal(errorOf([&] { reader.requireString("s", 99); }), 1003);
    assert_int_equal(reader.requireString("s", 100).size(), 100);
}

static void null_reads_as_absent(void**) {
    Json body = Json::parse(R"({"b":null})");
    RequestReader reader(body.get());
    assert_false(reader.optionalBool("b").has_value());
}

static void unknown_fields_are_named(void**) {
    Json body = Json::parse(R"({"known":1,"typo":2})");
    RequestReader reader(body.get());
    reader.optionalInt("known", 0, 5);
    std::string message;
    assert_int_equal(errorOf([&] { reader.rejectUnknownFields(); }, &message), 1003);
    assert_string_equal(message.c_str(), "unknown field 'typo'");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(non_objects_are_malformed),
        cmocka_unit_test(typed_fields_are_checked),
        cmocka_unit_test(long_strings_are_refused),
        cmocka_unit_test(null_reads_as_absent),
        cmocka_unit_test(unknown_fields_are_named),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
