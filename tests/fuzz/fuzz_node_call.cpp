// Fuzz target: a call or an answer as a node reads it from the cluster bus (NodeCallCodec,
// sylkcore/cluster). Invariants (abort when broken): a refusal says why; a decoded call has a
// node id and a service other nodes may call, and encodes to a payload that decodes to the same
// call; a decoded answer is either an object or a refusal with a positive code.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sylkcore/cluster/bus_codec.hpp"
#include "sylkcore/cluster/node_call_codec.hpp"
#include "sylkcore/request_error.hpp"

using namespace sylk;
using namespace sylk::cluster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::string error;
    if (auto call = NodeCallCodec::decodeCall(input, &error)) {
        if (!BusCodec::validNodeId(call->from) || !NodeCallCodec::callableAcrossNodes(call->service) ||
            !json_is_object(call->request.get()))
            abort();
        std::string again;
        try {
            again = NodeCallCodec::encodeCall(call->from, call->service, call->request);
        } catch (const RequestError&) {
            abort();  // what decoded must encode
        }
        auto second = NodeCallCodec::decodeCall(again, &error);
        if (!second || second->from != call->from || second->service != call->service ||
            NodeCallCodec::encodeCall(second->from, second->service, second->request) != again)
            abort();
    } else if (error.empty()) {
        abort();
    }
    error.clear();
    if (auto answer = NodeCallCodec::decodeAnswer(input, &error)) {
        if (!answer->answer && static_cast<int>(answer->error) <= 0)
            abort();
        if (answer->answer && !json_is_object(answer->answer.get()))
            abort();
    } else if (error.empty()) {
        abort();
    }
    return 0;
}
