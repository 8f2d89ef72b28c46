#include <glib.h>

#include <string>

#include "cmocka_cpp.hpp"
#include "sylkcore/files/file_store.hpp"

using sylk::files::FileStore;

static void names_are_plain(void**) {
    for (const char* good : {"report.pdf", "résumé 2026.txt", "a", ".hidden", "x..y"})
        assert_true(FileStore::validName(good));
    for (const char* bad : {"", ".", "..", "../../etc/passwd", "a/b", "a\\b", "tab\there", "\x7f"})
        assert_false(FileStore::validName(bad));
    assert_false(FileStore::validName(std::string("a\0b", 3)));
    assert_false(FileStore::validName(std::string(256, 'x')));
    assert_false(FileStore::validName("\xff\xfe"));  // not UTF-8
}

static void tokens_and_paths(void**) {
    char templ[] = "/tmp/sylk-files-XXXXXX";
    std::string root = g_mkdtemp(templ);
    auto& store = FileStore::instance();
    store.configure(root, 1000);
    assert_true(store.enabled());
    std::string token = store.grant("room@x", "member/1", "Ann");
    assert_true(token.size() >= 32);
    auto grant = store.check(token);
    assert_true(grant.has_value());
    assert_string_equal(grant->room.c_str(), "room@x");
    assert_false(store.check("other").has_value());
    std::string id;
    std::string path = store.reservePath("../../etc", &id);
    // The room name never becomes a path: its digest does.
    assert_true(path.rfind(root + "/", 0) == 0);
    assert_null(strstr(path.c_str(), ".."));
    store.revoke(token);
    assert_false(store.check(token).has_value());
    store.removeRoom("../../etc");
    std::string command = "rm -rf '" + root + "'";
    assert_int_equal(system(command.c_str()), 0);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_plain),
        cmocka_unit_test(tokens_and_paths),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
