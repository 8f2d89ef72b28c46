// A folder of a test's own under the temporary directory, removed with what it holds when the
// object goes (a failing cmocka assertion jumps past its destructor: the folder then stays, to
// look at). Used by the unit tests and the fuzz targets, which must leave nothing in /tmp.
#pragma once

#include <glib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace sylk::test {

class TempFolder {
public:
    // prefix: the folder's name before g_dir_make_tmp's random part ("sylk-vault-").
    explicit TempFolder(const std::string& prefix) {
        gchar* made = g_dir_make_tmp((prefix + "XXXXXX").c_str(), nullptr);
        path_ = made ? made : "";
        g_free(made);
    }
    ~TempFolder() {
        std::error_code ignored;
        if (!path_.empty())
            std::filesystem::remove_all(path_, ignored);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace sylk::test
