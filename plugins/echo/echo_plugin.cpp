#include "echo_plugin.hpp"

#include "echo_requests.hpp"
#include "echo_session.hpp"
#include "sylkcore/janus/sdp_answer.hpp"

namespace sylk::echo {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk echo application: audio, video and data-channel messages come back to the sender.",
    "Sylk Echo",
    "Sylk for Janus",
    "janus.plugin.sylk.echo",
    "echo",
};

}  // namespace

EchoPlugin::EchoPlugin() : Plugin(kInfo) {}

void EchoPlugin::configure(const janus::PluginConfig& config) {
    defaultBitrateCap_ = static_cast<uint32_t>(config.getInt("bitrate_cap", 0, 0, 100'000'000));
    onRequest<EchoSession>("configure", Execution::ControlLoop, &EchoPlugin::configureSession);
    onRequestWithoutVerb("configure");  // the stock echotest API: every body is a configure
    onRequest<EchoSession>("ping", Execution::Inline, &EchoPlugin::ping);
    onRequest<EchoSession>("status", Execution::Inline, &EchoPlugin::sessionStatus);
    onAdminRequest("status", &EchoPlugin::adminStatus);
}

std::shared_ptr<janus::PluginSession> EchoPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<EchoSession>(handle, gateway(), totals_, defaultBitrateCap_);
}

Reply EchoPlugin::configureSession(EchoSession& session, RequestReader& reader, const Request& request) {
    ConfigureRequest configure = parseConfigure(reader);
    Reply reply{makeEvent(), {}};
    if (request.jsep) {
        janus::AnswerOptions options;
        // A codec asked for is the only one taken for its kind: an offer without it gets that
        // m-line rejected, as the stock echotest does.
        if (configure.audioCodec)
            options.audioCodecs = {*configure.audioCodec};
        if (configure.videoCodec)
            options.videoCodecs = {*configure.videoCodec};
        janus::SdpAnswer answer = janus::answerOffer(request.jsep, options);
        if (answer.audioCodec.empty() && answer.videoCodec.empty() && !answer.data)
            throw RequestError(ErrorCode::EchoNoMediaNegotiated,
                               "the offer has no audio, video or data channel this server supports");
        session.setNegotiated(answer.audioCodec, answer.videoCodec, answer.data);
        reply.jsep = answer.jsep;
        reply.body.set("audio_codec", answer.audioCodec).set("video_codec", answer.videoCodec).setBool("data", answer.data);
    }
    if (configure.audio)
        session.setAudio(*configure.audio);
    if (configure.video)
        session.setVideo(*configure.video);
    if (configure.data)
        session.setData(*configure.data);
    if (configure.bitrate)
        session.setBitrateCap(*configure.bitrate);
    if (configure.keyframe)
        session.requestKeyframe();
    reply.body.set("result", "ok");
    // The stock echotest's event-handler report of a configure: what is echoed now.
    events().notify(session.handle(), [&] {
        Json event = Json::object();
        event.set("event", "configured")
            .setBool("audio_active", session.audioOn())
            .setBool("video_active", session.videoOn())
            .setBool("data_active", session.dataOn())
            .set("bitrate", static_cast<json_int_t>(session.bitrateCap()));
        return event;
    });
    return reply;
}

Json EchoPlugin::pluginStatus() const {
    Json status = Json::object();
    status.set("sessions", static_cast<json_int_t>(sessionCount()))
        .set("uptime_s", static_cast<json_int_t>(uptimeSeconds()))
        .set("packets_relayed", static_cast<json_int_t>(totals_.packetsRelayed()))
        .set("counters", totals_.toJson());
    return status;
}

Reply EchoPlugin::ping(EchoSession&, RequestReader& reader, const Request&) {
    parseEmpty(reader);
    Json body = pluginStatus();
    body.set("echo", "pong");
    return Reply{body, {}};
}

Reply EchoPlugin::sessionStatus(EchoSession& session, RequestReader& reader, const Request&) {
    parseEmpty(reader);
    Json body = session.status();
    body.set("echo", "status");
    return Reply{body, {}};
}

Reply EchoPlugin::adminStatus(RequestReader& reader, const Request&) {
    parseEmpty(reader);
    Json body = pluginStatus();
    body.set("echo", "status");
    Json list = Json::array();
    for (const auto& session : sessions())
        list.append(static_cast<EchoSession&>(*session).status());
    body.set("session_list", list);
    return Reply{body, {}};
}

}  // namespace sylk::echo
