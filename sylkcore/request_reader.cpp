#include "request_reader.hpp"

#include <algorithm>

#include "request_error.hpp"

namespace sylk {
namespace {

const char* typeName(const json_t* value) {
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

[[noreturn]] void wrongType(const char* key, const char* expected, const json_t* value) {
    throw RequestError(ErrorCode::InvalidField,
                       std::string("field '") + key + "' must be " + expected + ", not " + typeName(value));
}

[[noreturn]] void missing(const char* key, const char* expected) {
    throw RequestError(ErrorCode::MissingField, std::string("missing field '") + key + "' (" + expected + ")");
}

}  // namespace

RequestReader::RequestReader(json_t* body) : body_(body) {
    if (!json_is_object(body))
        throw RequestError(ErrorCode::MalformedRequest,
                           std::string("request body must be a JSON object, not ") + (body ? typeName(body) : "nothing"));
}

json_t* RequestReader::lookup(const char* key) {
    seen_.emplace_back(key);
    json_t* value = json_object_get(body_, key);
    // An explicit null reads as absent: janus.js and other clients send null for "unset".
    return json_is_null(value) ? nullptr : value;
}

std::optional<std::string> RequestReader::optionalString(const char* key, size_t maxLength) {
    json_t* value = lookup(key);
    if (!value)
        return std::nullopt;
    if (!json_is_string(value))
        wrongType(key, "a string", value);
    size_t length = json_string_length(value);
    if (length > maxLength)
        throw RequestError(ErrorCode::InvalidField, std::string("field '") + key + "' is " + std::to_string(length) +
                                                        " bytes long, the limit is " + std::to_string(maxLength));
    return std::string(json_string_value(value), length);
}

std::string RequestReader::requireString(const char* key, size_t maxLength) {
    auto value = optionalString(key, maxLength);
    if (!value)
        missing(key, "a string");
    return *value;
}

std::optional<bool> RequestReader::optionalBool(const char* key) {
    json_t* value = lookup(key);
    if (!value)
        return std::nullopt;
    if (!json_is_boolean(value))
        wrongType(key, "a boolean", value);
    return json_is_true(value);
}

bool RequestReader::requireBool(const char* key) {
    auto value = optionalBool(key);
    if (!value)
        missing(key, "a boolean");
    return *value;
}

std::optional<int64_t> RequestReader::optionalInt(const char* key, int64_t min, int64_t max) {
    json_t* value = lookup(key);
    if (!value)
        return std::nullopt;
    if (!json_is_integer(value))
        wrongType(key, "an integer", value);
    int64_t number = json_integer_value(value);
    if (number < min || number > max)
        throw RequestError(ErrorCode::InvalidField, std::string("field '") + key + "' is " + std::to_string(number) +
                                                        ", it must be between " + std::to_string(min) + " and " +
                                                        std::to_string(max));
    return number;
}

int64_t RequestReader::requireInt(const char* key, int64_t min, int64_t max) {
    auto value = optionalInt(key, min, max);
    if (!value)
        missing(key, "an integer");
    return *value;
}

json_t* RequestReader::optionalObject(const char* key) {
    json_t* value = lookup(key);
    if (value && !json_is_object(value))
        wrongType(key, "an object", value);
    return value;
}

json_t* RequestReader::optionalArray(const char* key, size_t maxItems) {
    json_t* value = lookup(key);
    if (!value)
        return nullptr;
    if (!json_is_array(value))
        wrongType(key, "an array", value);
    if (json_array_size(value) > maxItems)
        throw RequestError(ErrorCode::InvalidField, std::string("field '") + key + "' has " +
                                                        std::to_string(json_array_size(value)) + " items, the limit is " +
                                                        std::to_string(maxItems));
    return value;
}

void RequestReader::rejectUnknownFields() const {
    const char* key;
    json_t* value;
    json_object_foreach(body_, key, value) {
        if (std::find(seen_.begin(), seen_.end(), key) == seen_.end())
            throw RequestError(ErrorCode::InvalidField, std::string("unknown field '") + key + "'");
    }
}

}  // namespace sylk
