// Typed access to a request body. Every accessor checks presence, type and range and throws
// RequestError with a message that names the field, so handlers read values, not json_t.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api.hpp"

namespace sylk {

class SYLK_API RequestReader {
public:
    static constexpr size_t kDefaultMaxString = 4096;

    // Throws RequestError(MalformedRequest) unless body is a JSON object. Borrows body.
    explicit RequestReader(json_t* body);

    std::string requireString(const char* key, size_t maxLength = kDefaultMaxString);
    std::optional<std::string> optionalString(const char* key, size_t maxLength = kDefaultMaxString);
    bool requireBool(const char* key);
    std::optional<bool> optionalBool(const char* key);
    int64_t requireInt(const char* key, int64_t min, int64_t max);
    std::optional<int64_t> optionalInt(const char* key, int64_t min, int64_t max);
    // Borrowed; nullptr when absent. Throws when present but not an object / array.
    json_t* optionalObject(const char* key);
    json_t* optionalArray(const char* key, size_t maxItems);
    // Borrowed value of any type, or nullptr; the caller checks the type.
    json_t* optionalRaw(const char* key) { return lookup(key); }

    // Throws InvalidField naming the first member no accessor asked for. For requests whose
    // fields are all ours; compatibility APIs skip it, since clients send extra fields.
    void rejectUnknownFields() const;

private:
    json_t* lookup(const char* key);
    json_t* body_;
    std::vector<std::string> seen_;
};

}  // namespace sylk
