// Read-only view of a plugin's .jcfg, through Janus's own config parser. A missing file is not
// an error: every option has a safe default, so a plugin runs with no configuration at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "janus_headers.hpp"

namespace sylk::janus {

class PluginConfig {
public:
    // Parses <folder>/<package>.jcfg (for example janus.plugin.sylk.echo.jcfg).
    PluginConfig(const char* folder, const char* package);
    ~PluginConfig();
    PluginConfig(const PluginConfig&) = delete;
    PluginConfig& operator=(const PluginConfig&) = delete;

    bool loaded() const { return config_ != nullptr; }
    const std::string& path() const { return path_; }

    // Options of the "general" category. A value that does not parse throws std::invalid_argument
    // naming the option, so a typo stops the plugin at start instead of being ignored.
    std::string getString(const char* name, const std::string& fallback) const {
        return getString("general", name, fallback);
    }
    int64_t getInt(const char* name, int64_t fallback, int64_t min, int64_t max) const {
        return getInt("general", name, fallback, min, max);
    }
    bool getBool(const char* name, bool fallback) const { return getBool("general", name, fallback); }

    // The same for any category, e.g. one per persistent room.
    std::string getString(const char* category, const char* name, const std::string& fallback) const;
    int64_t getInt(const char* category, const char* name, int64_t fallback, int64_t min, int64_t max) const;
    bool getBool(const char* category, const char* name, bool fallback) const;
    // Names of the categories whose name starts with prefix.
    std::vector<std::string> categories(const std::string& prefix) const;

private:
    const char* raw(const char* category, const char* name) const;
    std::string path_;
    janus_config* config_ = nullptr;
};

}  // namespace sylk::janus
