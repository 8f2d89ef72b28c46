// Fuzz target: URL paths against the web app's static site and its room links. Any path that
// resolves must be a regular file inside the mounted root; the process aborts otherwise.
#include <glib.h>
#include <glib/gstdio.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "tests/unit/temp_folder.hpp"
#include "transports/http/room_link.hpp"
#include "transports/http/static_site.hpp"

namespace {

struct Site {
    // libFuzzer ends with exit(): the folder goes with the fixture, not left in /tmp per run.
    sylk::test::TempFolder folder{"sylk-fuzz-site-"};
    std::string root;
    sylk::http::StaticSite site;
    Site() {
        const std::string& top = folder.path();
        root = top + "/site";
        g_mkdir(root.c_str(), 0755);
        g_mkdir((root + "/js").c_str(), 0755);
        g_file_set_contents((root + "/index.html").c_str(), "x", -1, nullptr);
        g_file_set_contents((root + "/js/a.js").c_str(), "x", -1, nullptr);
        g_file_set_contents((top + "/outside.txt").c_str(), "x", -1, nullptr);
        site.mount("/", root);
        char* real = realpath(root.c_str(), nullptr);
        root = real;
        free(real);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Site fixture;
    std::string path(reinterpret_cast<const char*>(data), size);
    auto resolved = fixture.site.resolve(path);
    if (resolved && resolved->compare(0, fixture.root.size() + 1, fixture.root + "/") != 0)
        abort();
    sylk::http::StaticSite::safeRelativePath(path);
    // A room link names a room (any text) and never a file: its name is the path's rest.
    if (auto room = sylk::http::RoomLink::roomOf(path); room && "/r/" + *room != path)
        abort();
    return 0;
}
