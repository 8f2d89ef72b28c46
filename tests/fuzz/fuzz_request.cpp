// Fuzz target: a plugin request from raw bytes, through everything the plugin runs before its
// handler touches state: JSON parsing, the size limit, the dispatcher and the echo parsers.
#include <cstddef>
#include <cstdint>

#include "plugins/echo/echo_requests.hpp"
#include "fuzz_dispatch.hpp"

namespace {

sylk::Dispatcher<FuzzNoState> makeDispatcher() {
    using namespace sylk;
    Dispatcher<FuzzNoState> dispatcher;
    dispatcher.add("configure", Execution::ControlLoop, [](FuzzNoState&, RequestReader& reader, const Request&) {
        echo::parseConfigure(reader);
        return Reply{};
    });
    dispatcher.setVerbForBodiesWithout("configure");  // as the echo plugin does
    for (const char* verb : {"ping", "status"})
        dispatcher.add(verb, Execution::Inline, [](FuzzNoState&, RequestReader& reader, const Request&) {
            echo::parseEmpty(reader);
            return Reply{};
        });
    return dispatcher;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto dispatcher = makeDispatcher();
    fuzzDispatch(dispatcher, data, size);
    return 0;
}
