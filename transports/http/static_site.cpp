#include "static_site.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>

namespace sylk::http {
namespace {

std::optional<std::string> canonical(const std::string& path) {
    char resolved[PATH_MAX];
    if (!realpath(path.c_str(), resolved))
        return std::nullopt;
    return std::string(resolved);
}

bool endsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void StaticSite::mount(std::string prefix, std::string root) {
    auto real = canonical(root);
    if (!real)
        return;  // a missing root serves nothing rather than failing the whole site
    mounts_.push_back(Mount{std::move(prefix), *real});
    std::sort(mounts_.begin(), mounts_.end(),
              [](const Mount& a, const Mount& b) { return a.prefix.size() > b.prefix.size(); });
}

bool StaticSite::safeRelativePath(std::string_view path) {
    if (path.empty() || path.size() > 1024)
        return false;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos)
            end = path.size();
        std::string_view segment = path.substr(start, end - start);
        if (segment.empty() || segment == "." || segment == "..")
            return false;
        for (char c : segment) {
            if (c == '\0' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
                return false;
        }
        start = end + 1;
    }
    return true;
}

std::optional<std::string> StaticSite::resolve(std::string_view urlPath) const {
    if (urlPath.empty() || urlPath.front() != '/')
        return std::nullopt;
    for (const auto& mount : mounts_) {
        if (urlPath.substr(0, mount.prefix.size()) != mount.prefix)
            continue;
        std::string relative(urlPath.substr(mount.prefix.size()));
        if (relative.empty() || relative.back() == '/')
            relative += "index.html";
        if (!safeRelativePath(relative))
            return std::nullopt;
        auto real = canonical(mount.root + "/" + relative);
        // Symlinks inside the root may point elsewhere: the target must still be inside.
        if (!real || real->compare(0, mount.root.size() + 1, mount.root + "/") != 0)
            return std::nullopt;
        struct stat info;
        if (stat(real->c_str(), &info) != 0 || !S_ISREG(info.st_mode))
            return std::nullopt;
        return real;
    }
    return std::nullopt;
}

std::string_view StaticSite::contentType(std::string_view path) {
    static const std::pair<std::string_view, std::string_view> kTypes[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".wasm", "application/wasm"}, {".txt", "text/plain; charset=utf-8"},
    };
    for (const auto& [extension, type] : kTypes) {
        if (endsWith(path, extension))
            return type;
    }
    return "application/octet-stream";
}

}  // namespace sylk::http
