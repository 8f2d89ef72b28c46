#include "room_id.hpp"

#include <glib.h>

#include "request_error.hpp"

namespace sylk {

RoomId RoomId::read(RequestReader& reader, bool required) {
    json_t* value = reader.optionalRaw("room");
    if (!value) {
        if (required)
            throw RequestError(ErrorCode::MissingField, "missing field 'room' (a room number or name)");
        return {};
    }
    if (json_is_integer(value)) {
        json_int_t number = json_integer_value(value);
        if (number <= 0)
            throw RequestError(ErrorCode::InvalidField, "field 'room' must be a positive number or a name");
        return RoomId{std::to_string(number), Json::borrow(value)};
    }
    if (json_is_string(value)) {
        size_t length = json_string_length(value);
        if (length == 0 || length > 256)
            throw RequestError(ErrorCode::InvalidField, "field 'room' must be a name of 1 to 256 bytes");
        return RoomId{std::string(json_string_value(value), length), Json::borrow(value)};
    }
    throw RequestError(ErrorCode::InvalidField, "field 'room' must be a positive number or a name");
}

RoomId RoomId::fromString(const std::string& name) {
    char* end = nullptr;
    long long number = std::strtoll(name.c_str(), &end, 10);
    if (!name.empty() && *end == '\0' && number > 0)
        return RoomId{name, Json::adopt(json_integer(number))};
    return RoomId{name, Json::adopt(json_string(name.c_str()))};
}

uint64_t randomId() {
    constexpr uint64_t kMax = (uint64_t(1) << 53) - 1;
    return ((static_cast<uint64_t>(g_random_int()) << 21) ^ g_random_int()) % kMax + 1;
}

}  // namespace sylk
