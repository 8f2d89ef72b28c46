// Maps URL paths to files under a few document roots, refusing anything that would leave them
// ("..", encoded or not, and symlinks pointing outside). Pure file-system logic, no HTTP, so it
// is unit-tested and fuzzed on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sylk::http {

class StaticSite {
public:
    // Files under root answer URL paths that start with prefix ("/" for the site itself,
    // "/javascript/" for Debian's shared JavaScript libraries). Longest prefix wins.
    void mount(std::string prefix, std::string root);

    // The file to serve for a decoded URL path, or nullopt (treat as 404). "/" and paths
    // ending in "/" serve index.html.
    std::optional<std::string> resolve(std::string_view urlPath) const;

    static std::string_view contentType(std::string_view path);
    // True when every segment of a relative path is a plain name (no "", ".", "..").
    static bool safeRelativePath(std::string_view path);

private:
    struct Mount {
        std::string prefix;
        std::string root;  // canonical
    };
    std::vector<Mount> mounts_;
};

}  // namespace sylk::http
