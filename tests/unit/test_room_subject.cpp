// RoomSubject: every room name, dots, wildcards, spaces and non-ASCII included, makes one
// subject token of [A-Za-z0-9_=-] and comes back unchanged; tokens it does not make are refused.
#include "cmocka_cpp.hpp"

#include <cctype>
#include <string>

#include "sylkcore/cluster/room_subject.hpp"

using sylk::cluster::RoomSubject;

static void dots_and_wildcards_are_escaped(void**) {
    assert_string_equal(RoomSubject::token("team.blue").c_str(), "team=2Eblue");
    assert_string_equal(RoomSubject::token("a*b>c d").c_str(), "a=2Ab=3Ec=20d");
    assert_string_equal(RoomSubject::token("x=y").c_str(), "x=3Dy");  // the escape itself
    assert_string_equal(RoomSubject::token("Plain_name-1").c_str(), "Plain_name-1");
    assert_string_equal(RoomSubject::token("\xc3\xa9").c_str(), "=C3=A9");
    assert_string_equal(RoomSubject::events("team.blue").c_str(), "sylk.room.team=2Eblue.events");
    assert_string_equal(RoomSubject::prefix("1234").c_str(), "sylk.room.1234");
}

static void every_byte_string_round_trips(void**) {
    std::string all;
    for (int byte = 0; byte < 256; ++byte)
        all += static_cast<char>(byte);
    for (const std::string& name : {all, std::string("team.blue"), std::string(), std::string("=3D"), std::string(3, '\0')}) {
        std::string token = RoomSubject::token(name);
        for (char c : token)
            assert_true(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '=');
        auto back = RoomSubject::roomName(token);
        assert_true(back.has_value());
        assert_true(*back == name);
    }
}

static void foreign_tokens_are_refused(void**) {
    assert_false(RoomSubject::roomName("team.blue").has_value());    // a dot: not a token
    assert_false(RoomSubject::roomName("team=2eblue").has_value());  // lower-case hex
    assert_false(RoomSubject::roomName("a=41").has_value());         // 'A' needs no escape
    assert_false(RoomSubject::roomName("abc=").has_value());         // cut escape
    assert_false(RoomSubject::roomName("abc=4").has_value());
    assert_false(RoomSubject::roomName("=G0").has_value());
    assert_string_equal(RoomSubject::roomName("team=2Eblue")->c_str(), "team.blue");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dots_and_wildcards_are_escaped),
        cmocka_unit_test(every_byte_string_round_trips),
        cmocka_unit_test(foreign_tokens_are_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
