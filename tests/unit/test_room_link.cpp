// Room links "/r/<room>": which paths name a room, and that the name is taken as it is
// (never as a file path: the server always answers with room.html).
#include <string>

#include "cmocka_cpp.hpp"
#include "transports/http/room_link.hpp"

using sylk::http::RoomLink;

static void names_the_room(void**) {
    assert_string_equal(RoomLink::roomOf("/r/lobby")->c_str(), "lobby");
    assert_string_equal(RoomLink::roomOf("/r/1234")->c_str(), "1234");
    // Decoded paths: spaces, slashes, dots and non-ASCII belong to the name.
    assert_string_equal(RoomLink::roomOf("/r/team a/b")->c_str(), "team a/b");
    assert_string_equal(RoomLink::roomOf("/r/../../etc/passwd")->c_str(), "../../etc/passwd");
    assert_string_equal(RoomLink::roomOf("/r/caf\xc3\xa9")->c_str(), "caf\xc3\xa9");
}

static void other_paths_are_no_room_link(void**) {
    for (const char* path : {"/r/", "/r", "/room.html", "/", "", "r/lobby", "/rr/lobby", "/R/lobby", "//r/lobby"})
        assert_false(RoomLink::roomOf(path).has_value());
    std::string longest = "/r/" + std::string(RoomLink::kMaxRoomLength, 'x');
    assert_true(RoomLink::roomOf(longest).has_value());
    assert_false(RoomLink::roomOf(longest + "x").has_value());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_the_room),
        cmocka_unit_test(other_paths_are_no_room_link),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
