// Fuzz target: videoroom request bodies from raw bytes, through the dispatcher and the
// videoroom's own parsers (room ids, stream selectors, chat messages, dial targets,
// other nodes' descriptions of relayed feeds).
#include <cstddef>
#include <cstdint>

#include "sylkcore/room_id.hpp"
#include "plugins/videoroom/videoroom_requests.hpp"
#include "fuzz_dispatch.hpp"

namespace {

using sylk::Execution;
using sylk::Reply;
using sylk::Request;
using sylk::RequestReader;

sylk::Dispatcher<FuzzNoState> makeDispatcher() {
    using namespace sylk::videoroom;
    using sylk::RoomId;
    sylk::Dispatcher<FuzzNoState> dispatcher;
    dispatcher.add("join", Execution::ControlLoop, [](FuzzNoState&, RequestReader& reader, const Request&) {
        RoomId::read(reader);
        reader.requireString("ptype", 32);
        reader.optionalString("display", 256);
        reader.optionalInt("private_id", 0, kMaxId);
        if (json_t* streams = reader.optionalArray("streams", 256))
            parseFeedSelectors(streams);
        return Reply{};
    });
    for (const char* verb : {"subscribe", "unsubscribe"})
        dispatcher.add(verb, Execution::ControlLoop, [](FuzzNoState&, RequestReader& reader, const Request&) {
            json_t* streams = reader.optionalArray("streams", 256);
            if (streams)
                parseFeedSelectors(streams);
            return Reply{};
        });
    dispatcher.add("configure", Execution::ControlLoop, [](FuzzNoState&, RequestReader& reader, const Request&) {
        if (json_t* streams = reader.optionalRaw("streams"))
            parseStreamSends(streams);
        return Reply{};
    });
    dispatcher.add("message", Execution::ControlLoop, [](FuzzNoState&, RequestReader& reader, const Request&) {
        parseChat(reader, 16 * 1024);
        return Reply{};
    });
    dispatcher.add("dial", Execution::LoopSync, [](FuzzNoState&, RequestReader& reader, const Request&) {
        std::string uri = reader.requireString("uri", 512);
        parseDialTarget(uri, "");
        parseDialTarget(uri, "pstn.example.com");
        return Reply{};
    });
    // Another node's description of a relayed feed (videoroom.remote.feed).
    dispatcher.add("remote_feed", Execution::ControlLoop, [](FuzzNoState&, RequestReader& reader, const Request&) {
        reader.requireString("room", 256);
        reader.requireInt("feed", 1, kMaxId);
        if (json_t* streams = reader.optionalArray("streams", 64))
            parseRemoteStreams(streams);
        return Reply{};
    });
    for (const char* verb : {"exists", "destroy", "listparticipants", "create"})
        dispatcher.add(verb, Execution::LoopSync, [](FuzzNoState&, RequestReader& reader, const Request&) {
            RoomId::read(reader, false);
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
