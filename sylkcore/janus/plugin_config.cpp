#include "plugin_config.hpp"

#include <cstdlib>
#include <stdexcept>

namespace sylk::janus {

PluginConfig::PluginConfig(const char* folder, const char* package) {
    path_ = std::string(folder ? folder : ".") + "/" + package + ".jcfg";
    if (g_file_test(path_.c_str(), G_FILE_TEST_EXISTS))
        config_ = janus_config_parse(path_.c_str());
}

PluginConfig::~PluginConfig() {
    if (config_)
        janus_config_destroy(config_);
}

const char* PluginConfig::raw(const char* categoryName, const char* name) const {
    if (!config_)
        return nullptr;
    janus_config_category* category = janus_config_get(config_, nullptr, janus_config_type_category, categoryName);
    if (!category)
        return nullptr;
    janus_config_item* item = janus_config_get(config_, category, janus_config_type_item, name);
    return item ? item->value : nullptr;
}

std::vector<std::string> PluginConfig::categories(const std::string& prefix) const {
    std::vector<std::string> names;
    if (!config_)
        return names;
    GList* list = janus_config_get_categories(config_, nullptr);
    for (GList* item = list; item; item = item->next) {
        auto* category = static_cast<janus_config_category*>(item->data);
        if (category->name && std::string(category->name).rfind(prefix, 0) == 0)
            names.emplace_back(category->name);
    }
    g_list_free(list);
    return names;
}

std::string PluginConfig::getString(const char* category, const char* name, const std::string& fallback) const {
    const char* value = raw(category, name);
    return value ? value : fallback;
}

int64_t PluginConfig::getInt(const char* category, const char* name, int64_t fallback, int64_t min, int64_t max) const {
    const char* value = raw(category, name);
    if (!value)
        return fallback;
    char* end = nullptr;
    long long number = std::strtoll(value, &end, 10);
    if (end == value || *end != '\0' || number < min || number > max)
        throw std::invalid_argument(path_ + ": option '" + category + "." + name + "' must be an integer between " +
                                    std::to_string(min) + " and " + std::to_string(max));
    return number;
}

bool PluginConfig::getBool(const char* category, const char* name, bool fallback) const {
    const char* value = raw(category, name);
    if (!value)
        return fallback;
    std::string text = value;
    if (text == "true" || text == "yes" || text == "1")
        return true;
    if (text == "false" || text == "no" || text == "0")
        return false;
    throw std::invalid_argument(path_ + ": option '" + category + "." + name + "' must be true or false");
}

}  // namespace sylk::janus
