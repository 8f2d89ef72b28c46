// Fuzz target: a plugin request from raw bytes, through everything the plugin runs before its
// handler touches state: JSON parsing, the size limit, the dispatcher and the echo parsers.
#include <cstddef>
#include <cstdint>

#include "plugins/echo/echo_requests.hpp"
#include "sylkcore/dispatcher.hpp"

namespace {

struct NoState {};

sylk::Dispatcher<NoState> makeDispatcher() {
    using namespace sylk;
    Dispatcher<NoState> dispatcher;
    dispatcher.add("configure", Execution::ControlLoop, [](NoState&, RequestReader& reader, const Request&) {
        echo::parseConfigure(reader);
        return Reply{};
    });
    for (const char* verb : {"ping", "status"})
        dispatcher.add(verb, Execution::Inline, [](NoState&, RequestReader& reader, const Request&) {
            echo::parseEmpty(reader);
            return Reply{};
        });
    return dispatcher;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto dispatcher = makeDispatcher();
    sylk::Json body = sylk::Json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!body)
        return 0;  // Janus itself answers unparseable JSON before a plugin sees it
    NoState state;
    try {
        sylk::checkRequestSize(body, 64 * 1024);
        const auto& route = dispatcher.route(body.get());
        dispatcher.run(route, state, sylk::Request{"", body, {}});
    } catch (const sylk::RequestError&) {
        // refusing is the expected outcome for most inputs
    }
    return 0;
}
