// RAII owner of a Jansson json_t reference.
#pragma once

#include <jansson.h>

#include <string>
#include <string_view>
#include <vector>

#include "api.hpp"

namespace sylk {

class SYLK_API Json {
public:
    Json() = default;
    // Takes over a reference the caller owns (e.g. the result of json_object()).
    static Json adopt(json_t* value) { return Json(value); }
    // Shares a borrowed reference: adds one of its own.
    static Json borrow(json_t* value) { return Json(json_incref(value)); }
    static Json object() { return adopt(json_object()); }
    static Json array() { return adopt(json_array()); }
    // An array of these strings (SDP attribute lists, paths).
    static Json stringArray(const std::vector<std::string>& items);
    // Parses text; returns a null Json and fills error on failure.
    static Json parse(std::string_view text, std::string* error = nullptr);

    Json(const Json& other) : value_(json_incref(other.value_)) {}
    Json(Json&& other) noexcept : value_(other.value_) { other.value_ = nullptr; }
    Json& operator=(Json other) noexcept { std::swap(value_, other.value_); return *this; }
    ~Json() { json_decref(value_); }

    json_t* get() const { return value_; }
    // Gives up ownership, e.g. to hand the reference to an API that steals it.
    json_t* release() { json_t* v = value_; value_ = nullptr; return v; }
    explicit operator bool() const { return value_ != nullptr; }

    // Builder helpers for objects; they return *this so calls chain.
    Json& set(const char* key, Json value);
    Json& set(const char* key, const char* value);
    Json& set(const char* key, const std::string& value) { return set(key, value.c_str()); }
    Json& set(const char* key, json_int_t value);
    Json& set(const char* key, int value) { return set(key, static_cast<json_int_t>(value)); }
    Json& set(const char* key, unsigned value) { return set(key, static_cast<json_int_t>(value)); }
    Json& set(const char* key, double value);
    Json& setBool(const char* key, bool value);
    Json& append(Json value);

    // Borrowed member, or nullptr.
    json_t* member(const char* key) const { return json_is_object(value_) ? json_object_get(value_, key) : nullptr; }
    std::string dump() const;
    // Size of the compact serialisation, computed without allocating.
    size_t serializedSize() const;

private:
    explicit Json(json_t* value) : value_(value) {}
    json_t* value_ = nullptr;
};

}  // namespace sylk
