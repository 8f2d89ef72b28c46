#include "json.hpp"

#include <cstdlib>

namespace sylk {

Json Json::stringArray(const std::vector<std::string>& items) {
    Json list = array();
    for (const auto& item : items)
        list.append(adopt(json_string(item.c_str())));
    return list;
}

Json Json::parse(std::string_view text, std::string* error) {
    json_error_t err;
    json_t* value = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
    if (!value && error)
        *error = std::string(err.text) + " at line " + std::to_string(err.line) + ", column " + std::to_string(err.column);
    return adopt(value);
}

Json& Json::set(const char* key, Json value) {
    if (json_is_object(value_) && value)
        json_object_set_new(value_, key, value.release());
    return *this;
}

Json& Json::set(const char* key, const char* value) {
    return set(key, adopt(value ? json_string(value) : json_null()));
}

Json& Json::set(const char* key, json_int_t value) { return set(key, adopt(json_integer(value))); }
Json& Json::set(const char* key, double value) { return set(key, adopt(json_real(value))); }
Json& Json::setBool(const char* key, bool value) { return set(key, adopt(json_boolean(value))); }

Json& Json::append(Json value) {
    if (json_is_array(value_) && value)
        json_array_append_new(value_, value.release());
    return *this;
}

std::string Json::dump() const {
    if (!value_)
        return "null";
    char* text = json_dumps(value_, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string out = text ? text : "";
    free(text);
    return out;
}

size_t Json::serializedSize() const {
    return value_ ? json_dumpb(value_, nullptr, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
}

}  // namespace sylk
