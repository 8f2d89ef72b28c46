#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <string>

#include "cmocka_cpp.hpp"
#include "transports/http/static_site.hpp"

using sylk::http::StaticSite;

struct Fixture {
    std::string top;      // holds site/ and secret.txt beside it
    StaticSite site;
};

static int setup(void** state) {
    auto* fixture = new Fixture;
    char templ[] = "/tmp/sylk-static-XXXXXX";
    fixture->top = g_mkdtemp(templ);
    std::string site = fixture->top + "/site";
    g_mkdir(site.c_str(), 0755);
    g_mkdir((site + "/js").c_str(), 0755);
    g_file_set_contents((site + "/index.html").c_str(), "<html>", -1, nullptr);
    g_file_set_contents((site + "/js/app.js").c_str(), "//", -1, nullptr);
    g_file_set_contents((fixture->top + "/secret.txt").c_str(), "secret", -1, nullptr);
    // A symlink inside the root that points outside it must not be served.
    symlink((fixture->top + "/secret.txt").c_str(), (site + "/leak.txt").c_str());
    fixture->site.mount("/", site);
    *state = fixture;
    return 0;
}

static int teardown(void** state) {
    auto* fixture = static_cast<Fixture*>(*state);
    std::string command = "rm -rf '" + fixture->top + "'";
    if (system(command.c_str()) != 0)
        return -1;
    delete fixture;
    return 0;
}

static void serves_files_and_index(void** state) {
    auto* fixture = static_cast<Fixture*>(*state);
    auto index = fixture->site.resolve("/");
    assert_true(index.has_value());
    assert_true(index->size() > 10 && index->substr(index->size() - 10) == "index.html");
    assert_true(fixture->site.resolve("/js/app.js").has_value());
    assert_false(fixture->site.resolve("/missing.js").has_value());
    assert_false(fixture->site.resolve("/js").has_value());  // a folder is not a file
}

static void refuses_traversal(void** state) {
    auto* fixture = static_cast<Fixture*>(*state);
    for (const char* path : {"/../secret.txt", "/js/../../secret.txt", "/./index.html", "//etc/passwd",
                             "/leak.txt", "relative.html", "", "/js\\..\\..\\secret.txt", "/js/%2e%2e/x"}) {
        assert_false(fixture->site.resolve(path).has_value());
    }
    assert_false(StaticSite::safeRelativePath("a/../b"));
    assert_false(StaticSite::safeRelativePath(std::string("a\0b", 3)));
    assert_true(StaticSite::safeRelativePath("a/b.c"));
}

static void content_types(void**) {
    assert_string_equal(std::string(StaticSite::contentType("/x/app.js")).c_str(), "text/javascript; charset=utf-8");
    assert_string_equal(std::string(StaticSite::contentType("index.html")).c_str(), "text/html; charset=utf-8");
    assert_string_equal(std::string(StaticSite::contentType("blob")).c_str(), "application/octet-stream");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(serves_files_and_index, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_traversal, setup, teardown),
        cmocka_unit_test(content_types),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
