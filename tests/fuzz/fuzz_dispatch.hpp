// Shared by the request fuzz targets: bytes -> JSON -> size limit -> dispatcher -> handler.
// Refusals (RequestError) are the expected outcome for most inputs; anything else escaping,
// a crash or a sanitizer report is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sylkcore/dispatcher.hpp"

struct FuzzNoState {};

inline void fuzzDispatch(const sylk::Dispatcher<FuzzNoState>& dispatcher, const uint8_t* data, size_t size) {
    sylk::Json body = sylk::Json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!body)
        return;  // Janus itself answers unparseable JSON before a plugin sees it
    FuzzNoState state;
    try {
        sylk::checkRequestSize(body, 64 * 1024);
        dispatcher.run(dispatcher.route(body.get()), state, sylk::Request{"", body, {}});
    } catch (const sylk::RequestError&) {
    }
}
