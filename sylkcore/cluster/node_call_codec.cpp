#include "node_call_codec.hpp"

#include "../request_error.hpp"
#include "bus_codec.hpp"

namespace sylk::cluster {
namespace {

constexpr char kRemoteMark[] = ".remote.";

bool fail(std::string* error, const char* why) {
    if (error)
        *error = why;
    return false;
}

}  // namespace

bool NodeCallCodec::callableAcrossNodes(std::string_view service) {
    return service.size() <= kMaxService && service.find(kRemoteMark) != std::string_view::npos;
}

std::string NodeCallCodec::encodeCall(const std::string& from, const std::string& service, const Json& request) {
    if (!callableAcrossNodes(service))
        throw RequestError(ErrorCode::InvalidField,
                           "service '" + service + "' cannot be called from another node (only names with '.remote.')");
    if (!json_is_object(request.get()))
        throw RequestError(ErrorCode::InvalidField, "a node call's request must be an object");
    Json body = Json::object();
    body.set("from", from).set("service", service).set("request", request);
    std::string payload = body.dump();
    if (payload.size() > kMaxPayload)
        throw RequestError(ErrorCode::PayloadTooLarge, "a node call is at most " + std::to_string(kMaxPayload) + " bytes");
    return payload;
}

std::optional<NodeCallCodec::Call> NodeCallCodec::decodeCall(std::string_view payload, std::string* error) {
    if (payload.size() > kMaxPayload)
        return fail(error, "larger than a node call may be"), std::nullopt;
    Json body = Json::parse(payload);
    json_t* from = body.member("from");
    json_t* service = body.member("service");
    json_t* request = body.member("request");
    if (!json_is_string(from) || !json_is_string(service) || !json_is_object(request))
        return fail(error, "a node call needs from, service (strings) and request (an object)"), std::nullopt;
    Call call{json_string_value(from), json_string_value(service), Json::borrow(request)};
    if (!BusCodec::validNodeId(call.from) || call.from.find('.') != std::string::npos)
        return fail(error, "from is not a node id"), std::nullopt;
    if (!callableAcrossNodes(call.service))
        return fail(error, "the service cannot be called from another node"), std::nullopt;
    return call;
}

std::string NodeCallCodec::encodeAnswer(const Json& answer) {
    Json body = Json::object();
    body.set("answer", answer);
    return body.dump();
}

std::string NodeCallCodec::encodeRefusal(ErrorCode code, const std::string& reason) {
    Json body = Json::object();
    body.set("error", static_cast<json_int_t>(code)).set("reason", reason);
    return body.dump();
}

std::optional<NodeCallCodec::Answer> NodeCallCodec::decodeAnswer(std::string_view payload, std::string* error) {
    if (payload.size() > kMaxPayload)
        return fail(error, "larger than a node call's answer may be"), std::nullopt;
    Json body = Json::parse(payload);
    Answer answer;
    if (json_t* result = body.member("answer"); json_is_object(result)) {
        answer.answer = Json::borrow(result);
        return answer;
    }
    json_t* code = body.member("error");
    json_t* reason = body.member("reason");
    if (!json_is_integer(code) || !json_is_string(reason) || json_integer_value(code) <= 0 ||
        json_integer_value(code) > 99'999)
        return fail(error, "an answer is {\"answer\": {...}} or {\"error\": code, \"reason\": text}"), std::nullopt;
    answer.error = static_cast<ErrorCode>(json_integer_value(code));
    answer.reason = json_string_value(reason);
    return answer;
}

}  // namespace sylk::cluster
