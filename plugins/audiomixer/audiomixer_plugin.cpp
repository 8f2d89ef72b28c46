#include "audiomixer_plugin.hpp"

#include "audiomixer_common.hpp"
#include "audiomixer_events.hpp"

#include <glib.h>

#include <algorithm>

#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/janus/sdp_answer.hpp"
#include "sylkcore/log.hpp"

namespace sylk::audiomixer {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk audio mixer: wideband conference rooms for WebRTC and plain RTP, audiobridge-compatible.",
    "Sylk AudioMixer",
    "Sylk for Janus",
    kPackage,
    "audiobridge",
};

}  // namespace

AudioMixerPlugin::AudioMixerPlugin() : Plugin(kInfo) {}

void AudioMixerPlugin::configure(const janus::PluginConfig& config) {
    createOnDemand_ = config.getBool("create_on_demand", true);
    defaults_.sampleRate = checkRate(config.getInt("sampling_rate", 48000, 8000, 48000));
    defaults_.maxParticipants = config.getInt("max_participants", 100, 1, 10000);
    defaults_.mixThresholdDbov = static_cast<int>(config.getInt("mix_threshold_dbov", 50, 0, 127));
    rtpAddress_ = config.getString("rtp_ip", "127.0.0.1");
    rtpAddressV6_ = config.getString("rtp_ip6", "::1");
    defaults_.tones = config.getBool("notification_tones", false);
    recordingsDir_ = config.getString("recordings_dir", SYLK_RECORDINGS_DIR);
    // ZRTP on the SIP focus's room calls (their leg is ours), with its own cache of retained
    // secrets: the SIP plugin's file is its own SQLite handle's, and the peer a phone meets
    // here is the room, not a web user.
    if (config.getBool("zrtp", true)) {
        std::string path = config.getString("zrtp_cache_path", config.getString("state_dir", SYLK_STATE_DIR) +
                                                                   "/zrtp-rooms-cache.sqlite");
        gchar* folder = g_path_get_dirname(path.c_str());
        g_mkdir_with_parents(folder, 0700);  // the SIP plugin's journal may not have made it yet
        g_free(folder);
        try {
            zrtpCache_ = std::make_unique<net::ZrtpCache>(path);
        } catch (const std::runtime_error& e) {
            throw std::invalid_argument(std::string(e.what()) + " (zrtp = false turns ZRTP off)");
        }
    }
    for (const auto& category : config.categories("room-")) {
        const char* name = category.c_str();
        MixRoomSettings settings = defaults_;
        settings.description = config.getString(name, "description", "");
        settings.pin = config.getString(name, "pin", "");
        settings.secret = config.getString(name, "secret", "");
        settings.sampleRate = checkRate(config.getInt(name, "sampling_rate", defaults_.sampleRate, 8000, 48000));
        settings.isPrivate = config.getBool(name, "is_private", false);
        settings.tones = config.getBool(name, "notification_tones", defaults_.tones);
        makeRoom(category.substr(5), settings);
        // A configured room is persistent: its shared files outlive it and a restart.
        files::FileStore::instance().keepRoom(category.substr(5));
    }
    // One mixing thread per core by default: rooms are mixed in parallel (a room by one thread).
    int cores = static_cast<int>(g_get_num_processors());
    clock_ = std::make_unique<MixerClock>(static_cast<int>(config.getInt("mixer_threads", std::min(cores, 16), 1, 64)));
    clock_->start();

    onRequest<Session>("create", Execution::LoopSync, &AudioMixerPlugin::create);
    onRequest<Session>("destroy", Execution::LoopSync, &AudioMixerPlugin::destroyRoom);
    onRequest<Session>("exists", Execution::LoopSync, &AudioMixerPlugin::exists);
    onRequest<Session>("edit", Execution::LoopSync, &AudioMixerPlugin::edit);
    onRequest<Session>("list", Execution::LoopSync, &AudioMixerPlugin::list);
    onRequest<Session>("listparticipants", Execution::LoopSync, &AudioMixerPlugin::listParticipants);
    onRequest<Session>("mute", Execution::LoopSync, &AudioMixerPlugin::moderatorMute);
    onRequest<Session>("unmute", Execution::LoopSync, &AudioMixerPlugin::moderatorUnmute);
    onRequest<Session>("kick", Execution::LoopSync, &AudioMixerPlugin::kick);
    onRequest<Session>("join", Execution::ControlLoop, &AudioMixerPlugin::join);
    onRequest<Session>("configure", Execution::ControlLoop, &AudioMixerPlugin::configure);
    onRequest<Session>("leave", Execution::ControlLoop, &AudioMixerPlugin::leave);
    onRequest<Session>("changeroom", Execution::ControlLoop, &AudioMixerPlugin::changeRoom);
    onRequest<Session>("enable_recording", Execution::LoopSync, &AudioMixerPlugin::enableRecording);
    onAdminRequest("list", &AudioMixerPlugin::adminList, Execution::LoopSync);
    hub::Services::instance().offer(hub::service::AudioMixerAttachRtp, [this](const Json& request) { return attachRtpLeg(request); });
    hub::Services::instance().offer(hub::service::AudioMixerDetachRtp, [this](const Json& request) { return detachRtpLeg(request); });
    hub::Services::instance().offer(hub::service::AudioMixerUpdateRtp, [this](const Json& request) { return updateRtpLeg(request); });
    startLegs();  // a room across cluster nodes (audiomixer_legs.cpp); idle without a cluster
    hub::Services::instance().offer(hub::service::AudioMixerAdmit, [this](const Json& request) { return admitFromHub(request); });
    offerBridgeServices();  // the video room's web users in our rooms (audiomixer_bridge.cpp)
}

std::shared_ptr<janus::PluginSession> AudioMixerPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<AudioMixerSession>(handle, *this);
}

void AudioMixerPlugin::onShutdown() {
    hub::Services::instance().withdraw(hub::service::AudioMixerAttachRtp);
    hub::Services::instance().withdraw(hub::service::AudioMixerDetachRtp);
    hub::Services::instance().withdraw(hub::service::AudioMixerUpdateRtp);
    withdrawBridgeServices();
    stopLegs();
    hub::Services::instance().withdraw(hub::service::AudioMixerAdmit);
    if (clock_)
        clock_->stop();
    for (auto& [key, room] : rooms_) {
        if (room.hub)
            hub::Hub::instance().closeIfIdle(key);
    }
    rooms_.clear();
}

// ------------------------------------------------------------------ participants

void AudioMixerPlugin::checkRoomPins(const std::string& key, RequestReader& reader) {
    // The PINs other plugins serve the room under (the video room's): without them, the audio
    // of a protected room would be one join away here. Only for joins through the Janus API:
    // a plugin that attaches a leg (the SIP focus's phones, a moderator's dial) authorized it.
    std::string pin = reader.optionalString("pin", 256).value_or("");
    if (auto hubRoom = hub::Hub::instance().find(key); hubRoom && !hubRoom->admitsPin(pin))
        throw RequestError(ErrorCode::AudioMixerUnauthorized, "unauthorized (wrong PIN)");
}

AudioMixerPlugin::Room& AudioMixerPlugin::openRoom(const std::string& key, RequestReader& reader) {
    // Everything that can refuse the join is checked before a room is made on demand: a refused
    // join must not leave an empty room behind (issue 17). A new room has no PIN and no members.
    std::string pin = reader.optionalString("pin", 256).value_or("");
    auto rate = reader.optionalInt("sampling_rate", 8000, 48000);
    if (Room* room = findRoom(key)) {
        const auto& settings = room->mixer->settings;
        if (!settings.pin.empty() && pin != settings.pin)
            throw RequestError(ErrorCode::AudioMixerUnauthorized, "unauthorized (wrong PIN)");
        if (static_cast<int64_t>(room->mixer->size()) >= settings.maxParticipants)
            throw RequestError(ErrorCode::AudioMixerRoomFull, "the room is full (" + std::to_string(settings.maxParticipants) + ")");
        return *room;
    }
    if (!createOnDemand_)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    MixRoomSettings settings = defaults_;
    settings.onDemand = true;
    // The first comer may choose the rate of a room made on demand (the SIP focus's
    // room_sampling_rate); later ones join the room as it is.
    if (rate)
        settings.sampleRate = checkRate(*rate);
    return makeRoom(key, settings);
}

void AudioMixerPlugin::closeIfUnused(const std::string& key) {
    if (Room* room = findRoom(key); room && room->unused())
        closeRoom(key);
}

void AudioMixerPlugin::admit(Session& session, Room& room, const std::string& key,
                             const std::shared_ptr<MixParticipant>& participant, WebRtcSink* sink,
                             RtpEndpoint* plainEndpoint) {
    if (plainEndpoint) {
        auto legs = std::make_shared<std::vector<PlainLeg>>(*plainLegs_.load());
        legs->push_back(PlainLeg{participant, plainEndpoint});
        plainLegs_.store(std::move(legs));
    }
    session.attach(participant, sink);
    room.mixer->add(participant);
    room.mixer->cue(true);
    room.sessions[participant->id] = session.weak_from_this();
    session.room = key;
    announceJoined(room, key, *participant, session.handle(), plainEndpoint != nullptr);
}

void AudioMixerPlugin::announceJoined(Room& room, const std::string& key, const MixParticipant& participant,
                                      janus::Handle* handle, bool plainRtp) {
    publishMember(room, participant);
    refreshClock();
    Json announce = roomEvent(key);
    announce.set("audiobridge", "joined");
    Json list = Json::array();
    list.append(participantJson(participant));
    announce.set("participants", list);
    broadcast(room, announce, participant.id);  // the joiner has its own answer
    events().notify(handle, [&] { return AudioMixerEvents::participant("joined", roomValue(key), participant, plainRtp); });
}

Reply AudioMixerPlugin::join(Session& session, RequestReader& reader, const Request& request) {
    std::string key = roomKey(reader);
    if (!session.room.empty())
        throw RequestError(ErrorCode::AudioMixerAlreadyJoined, "already in room '" + session.room + "'");
    // What the request alone decides is checked before the room is opened (issue 17).
    auto wantedId = reader.optionalInt("id", 1, kMaxId);
    std::string display = reader.optionalString("display", 256).value_or("");
    std::string codecName = reader.optionalString("codec", 16).value_or("opus");
    auto codec = audio::codecFromName(codecName);
    if (!codec)
        throw RequestError(ErrorCode::AudioMixerUnsupportedCodec,
                           "unsupported codec '" + codecName + "' (opus, g722, pcmu, pcma, ilbc, ilbc20)");
    bool plainRtp = reader.optionalObject("rtp") != nullptr;
    if (plainRtp)
        readPlainRtp(reader, *codec);
    else if (*codec != audio::CodecId::Opus)
        throw RequestError(ErrorCode::AudioMixerUnsupportedCodec,
                           "a WebRTC participant's codec comes from its offer (Opus, or iLBC when it has no Opus)");
    bool muted = reader.optionalBool("muted").value_or(false);
    auto volume = reader.optionalInt("volume", 0, 1000);

    checkRoomPins(key, reader);
    Room& room = openRoom(key, reader);
    Reply reply{Json::object(), {}};
    try {
        const auto& settings = room.mixer->settings;
        uint64_t id = randomId();
        if (wantedId) {
            if (room.mixer->find(static_cast<uint64_t>(*wantedId)))
                throw RequestError(ErrorCode::AudioMixerIdExists, "participant id " + std::to_string(*wantedId) + " is taken");
            id = static_cast<uint64_t>(*wantedId);
        }
        std::shared_ptr<MixParticipant> participant;
        Json rtpInfo;
        WebRtcSink* sink = nullptr;
        RtpEndpoint* plainEndpoint = nullptr;
        if (plainRtp) {
            // Opens a socket, which can still fail (a peer address our end cannot reach).
            participant = makePlainParticipant(reader, id, display, *codec, settings.sampleRate, rtpInfo, plainEndpoint);
        } else {
            auto webrtc = std::make_unique<WebRtcSink>(gateway(), session.handle());
            sink = webrtc.get();
            participant = std::make_shared<MixParticipant>(id, display, *codec, 111, settings.sampleRate, std::move(webrtc));
        }
        participant->muted = muted;
        if (volume)
            participant->volumePercent = static_cast<int>(*volume);

        Json others = Json::array();
        auto present = room.mixer->participants();
        for (const auto& existing : *present)
            others.append(participantJson(*existing));
        admit(session, room, key, participant, sink, plainEndpoint);

        reply.body.set("audiobridge", "joined")
            .set("room", roomValue(key))
            .set("id", static_cast<json_int_t>(id))
            .set("display", display)
            .set("participants", others);
        if (rtpInfo)
            reply.body.set("rtp", rtpInfo);
    } catch (...) {
        closeIfUnused(key);  // a room this refused join made on demand goes again
        throw;
    }
    if (request.jsep && session.sink) {
        try {
            Reply configured = configure(session, reader, request);
            reply.jsep = configured.jsep;
        } catch (...) {
            // An offer the room cannot answer (no Opus, no iLBC, bad SDP): the peer gets an
            // error, so it must not keep a seat it cannot hear from.
            removeParticipant(key, session.participant->id, "leaving");
            closeIfUnused(key);
            throw;
        }
    }
    return reply;
}

void AudioMixerPlugin::readPlainRtp(RequestReader& reader, audio::CodecId codec) {
    RequestReader rtpReader(reader.optionalObject("rtp"));
    rtpReader.requireString("ip", 64);
    rtpReader.requireInt("port", 1, 65535);
    auto given = rtpReader.optionalInt("payload_type", 0, 127);
    if (!given && audio::codecInfo(codec).staticPt < 0)
        throw RequestError(ErrorCode::MissingField, std::string("plain RTP with ") + audio::codecInfo(codec).name +
                                                        " needs rtp.payload_type");
    if (json_t* keys = rtpReader.optionalObject("srtp")) {
        RequestReader srtpReader(keys);
        srtpReader.requireString("suite", 64);
        srtpReader.requireString("local_key", 64);
        srtpReader.requireString("remote_key", 64);
    }
    if (json_t* zrtp = rtpReader.optionalObject("zrtp")) {
        RequestReader zrtpReader(zrtp);
        zrtpReader.requireString("hash", 80);
        zrtpReader.requireString("peer_uri", 512);
        zrtpReader.optionalString("self_uri", 512);
    }
}

std::shared_ptr<MixParticipant> AudioMixerPlugin::makePlainParticipant(RequestReader& reader, uint64_t id,
                                                                      const std::string& display, audio::CodecId codec,
                                                                      int sampleRate, Json& rtpInfo,
                                                                      RtpEndpoint*& endpointOut) {
    // A plain RTP participant (a SIP phone's media, a test sender): we listen on a port of our
    // own and send the mix to the address it gave.
    RequestReader rtpReader(reader.optionalObject("rtp"));
    std::string ip = rtpReader.requireString("ip", 64);
    auto port = static_cast<uint16_t>(rtpReader.requireInt("port", 1, 65535));
    int pt = audio::codecInfo(codec).staticPt;
    if (auto given = rtpReader.optionalInt("payload_type", 0, 127))
        pt = static_cast<int>(*given);
    if (pt < 0)
        throw RequestError(ErrorCode::MissingField, std::string("plain RTP with ") + audio::codecInfo(codec).name +
                                                        " needs rtp.payload_type");
    // SDES-SRTP keys, when the leg's signalling negotiated them (the SIP focus does).
    std::unique_ptr<net::SrtpSession> srtp;
    if (json_t* keys = rtpReader.optionalObject("srtp")) {
        RequestReader srtpReader(keys);
        try {
            srtp = std::make_unique<net::SrtpSession>(srtpReader.requireString("suite", 64),
                                                      srtpReader.requireString("local_key", 64),
                                                      srtpReader.requireString("remote_key", 64));
        } catch (const std::invalid_argument& e) {
            throw RequestError(ErrorCode::InvalidField, std::string("rtp.srtp: ") + e.what());
        } catch (const std::runtime_error& e) {
            throw RequestError(ErrorCode::AudioMixerRtpUnavailable, e.what());
        }
    }
    // Our end in the peer's address family: an IPv6 phone gets an IPv6 leg.
    const std::string& local = ip.find(':') != std::string::npos ? rtpAddressV6_ : rtpAddress_;
    std::unique_ptr<RtpEndpoint> endpoint;
    try {
        endpoint = std::make_unique<RtpEndpoint>(local, ip, port, std::move(srtp));
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::AudioMixerRtpUnavailable, e.what());
    }
    endpointOut = endpoint.get();
    rtpInfo = Json::object();
    rtpInfo.set("ip", local).set("port", endpointOut->localPort()).set("payload_type", pt);
    return std::make_shared<MixParticipant>(id, display, codec, pt, sampleRate, std::move(endpoint));
}

Reply AudioMixerPlugin::changeRoom(Session& session, RequestReader& reader, const Request&) {
    if (session.room.empty() || !session.participant || !session.sink)
        throw RequestError(ErrorCode::AudioMixerNotJoined, "join a room with WebRTC first");
    std::string key = roomKey(reader);
    if (key == session.room)
        throw RequestError(ErrorCode::AudioMixerAlreadyJoined, "already in room '" + key + "'");
    auto previous = session.participant;
    std::string display = reader.optionalString("display", 256).value_or(previous->display);
    checkRoomPins(key, reader);
    Room& target = openRoom(key, reader);
    if (target.mixer->find(previous->id))  // so the room was not just made: nothing to close
        throw RequestError(ErrorCode::AudioMixerIdExists, "participant id " + std::to_string(previous->id) + " is taken there");
    int mindex = session.sink->mindex();
    std::string from = session.room;
    removeParticipant(from, previous->id, "leaving");
    if (Room* old = findRoom(from); old && old->unused())
        closeRoom(from);
    // A new participant at the new room's rate, on the same PeerConnection.
    auto webrtc = std::make_unique<WebRtcSink>(gateway(), session.handle());
    WebRtcSink* sink = webrtc.get();
    sink->setMindex(mindex);
    auto moved = std::make_shared<MixParticipant>(previous->id, display, previous->codec, previous->payloadType,
                                                  target.mixer->settings.sampleRate, std::move(webrtc));
    moved->muted = previous->muted.load();
    moved->volumePercent = previous->volumePercent.load();
    Json others = Json::array();
    auto present = target.mixer->participants();
    for (const auto& existing : *present)
        others.append(participantJson(*existing));
    admit(session, target, key, moved, sink, nullptr);
    Json reply = Json::object();
    reply.set("audiobridge", "roomchanged")
        .set("room", roomValue(key))
        .set("id", static_cast<json_int_t>(moved->id))
        .set("display", display)
        .set("participants", others);
    return Reply{reply, {}};
}

void AudioMixerPlugin::checkSecret(const Room& room, RequestReader& reader, const char* action) {
    auto secret = reader.optionalString("secret", 256);
    if (!room.mixer->settings.secret.empty() && secret.value_or("") != room.mixer->settings.secret)
        throw RequestError(ErrorCode::AudioMixerUnauthorized, std::string("only a moderator (the room secret) may ") + action);
}

Reply AudioMixerPlugin::enableRecording(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader);
    Room* room = findRoom(key);
    if (!room)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    checkSecret(*room, reader, "record the room");
    bool record = reader.requireBool("record");
    Json reply = Json::object();
    reply.set("audiobridge", "success").setBool("recording", record);
    if (!record) {
        room->mixer->setRecorder(nullptr);
        return Reply{reply, {}};
    }
    std::string name = reader.optionalString("filename", 200).value_or("");
    if (name.empty()) {
        gchar* digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key.c_str(), -1);
        name = std::string("room-") + std::string(digest).substr(0, 16) + "-" + std::to_string(g_get_real_time() / 1000000);
        g_free(digest);
    }
    if (!files::FileStore::validName(name))
        throw RequestError(ErrorCode::InvalidField, "invalid recording file name (a plain name, no '/' or '..')");
    g_mkdir_with_parents(recordingsDir_.c_str(), 0700);
    std::string path = recordingsDir_ + "/" + name + ".wav";
    try {
        room->mixer->setRecorder(std::make_shared<WavRecorder>(path, room->mixer->settings.sampleRate));
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::InvalidField, e.what());
    }
    reply.set("file", name + ".wav");
    return Reply{reply, {}};
}

Reply AudioMixerPlugin::configure(Session& session, RequestReader& reader, const Request& request) {
    if (session.room.empty() || !session.participant)
        throw RequestError(ErrorCode::AudioMixerNotJoined, "join a room first");
    auto& participant = *session.participant;
    Room* room = findRoom(session.room);
    bool rosterChanged = false;  // what the hub's rosters show: muted, hold, name
    if (auto muted = reader.optionalBool("muted")) {
        rosterChanged = rosterChanged || participant.muted != *muted;
        participant.muted = *muted;
    }
    if (auto volume = reader.optionalInt("volume", 0, 1000))
        participant.volumePercent = static_cast<int>(*volume);
    if (auto hold = reader.optionalBool("hold")) {
        rosterChanged = rosterChanged || participant.onHold != *hold;
        participant.onHold = *hold;
    }
    if (auto display = reader.optionalString("display", 256)) {
        rosterChanged = rosterChanged || participant.display != *display;
        participant.display = *display;
    }
    if (room && rosterChanged)
        publishMember(*room, participant);
    Reply reply{roomEvent(session.room), {}};
    if (request.jsep) {
        if (!session.sink)
            throw RequestError(ErrorCode::InvalidJsep, "plain RTP participants do not negotiate with a jsep");
        janus::AnswerOptions options;
        options.video = false;
        options.data = false;
        // Opus first; iLBC (our own codec: the answer is written by hand, Janus knows no iLBC)
        // for a peer that offers no Opus.
        options.audioCodecs = {"opus", "ilbc"};
        janus::SdpAnswer answer;
        try {
            answer = janus::answerOffer(request.jsep, options);
        } catch (const RequestError& e) {
            throw RequestError(e.code() == ErrorCode::InvalidSdp ? ErrorCode::AudioMixerInvalidSdp : e.code(), e.what());
        }
        auto audio = std::find_if(answer.media.begin(), answer.media.end(), [](const auto& m) { return m.type == "audio"; });
        if (audio == answer.media.end())
            throw RequestError(ErrorCode::AudioMixerUnsupportedCodec, "the offer has neither Opus nor iLBC audio");
        auto negotiated = audio::codecFromName(audio->codec);
        if (!negotiated)
            throw RequestError(ErrorCode::AudioMixerUnsupportedCodec, "the answer chose '" + audio->codec + "'");
        if (audio->pt != participant.payloadType || *negotiated != participant.codec) {
            // The peer chose another payload type or codec: this participant's output must use
            // it, so rebuild the participant with the negotiated one.
            auto sink = std::make_unique<WebRtcSink>(gateway(), session.handle());
            WebRtcSink* raw = sink.get();
            auto replacement = std::make_shared<MixParticipant>(participant.id, participant.display, *negotiated,
                                                                audio->pt, room->mixer->settings.sampleRate, std::move(sink));
            replacement->muted = participant.muted.load();
            replacement->volumePercent = participant.volumePercent.load();
            replacement->onHold = participant.onHold.load();
            room->mixer->remove(participant.id);
            room->mixer->add(replacement);
            session.attach(replacement, raw);
        }
        session.sink->setMindex(audio->mindex);
        reply.jsep = answer.jsep;
    }
    reply.body.set("result", "ok");
    if (room) {
        Json update = roomEvent(session.room);
        Json list = Json::array();
        list.append(participantJson(*session.participant));
        update.set("participants", list);
        broadcast(*room, update, session.participant->id);
    }
    events().notify(session.handle(), [&] {
        return AudioMixerEvents::participant("configured", roomValue(session.room), *session.participant, !session.sink);
    });
    return reply;
}

void AudioMixerPlugin::removeParticipant(const std::string& key, uint64_t participantId, const char* why) {
    Room* room = findRoom(key);
    if (!room)
        return;
    // Who leaves, for the event handlers: its handle (a WebRTC participant's) and name.
    janus::Handle* leaverHandle = nullptr;
    std::string leaverDisplay;
    if (auto leaver = room->mixer->find(participantId))
        leaverDisplay = leaver->display;
    if (auto it = room->sessions.find(participantId); it != room->sessions.end()) {
        if (auto session = it->second.lock())
            leaverHandle = session->handle();
    }
    room->mixer->remove(participantId);
    room->mixer->cue(false);
    auto legs = std::make_shared<std::vector<PlainLeg>>(*plainLegs_.load());
    std::erase_if(*legs, [&](const PlainLeg& leg) { return leg.participant->id == participantId; });
    plainLegs_.store(std::move(legs));
    if (auto it = room->sessions.find(participantId); it != room->sessions.end()) {
        if (auto session = it->second.lock())
            session->room.clear();
        room->sessions.erase(it);
    }
    room->hub->leave(std::string(kPackage) + "/" + std::to_string(participantId));
    Json event = roomEvent(key);
    event.set(why, static_cast<json_int_t>(participantId));
    broadcast(*room, event);
    events().notify(leaverHandle, [&] {
        return AudioMixerEvents::left(std::string(why) == "kicked" ? "kicked" : "left", roomValue(key), participantId, leaverDisplay);
    });
    refreshClock();
}

Reply AudioMixerPlugin::leave(Session& session, RequestReader&, const Request&) {
    if (session.room.empty() || !session.participant)
        throw RequestError(ErrorCode::AudioMixerNotJoined, "not in a room");
    std::string key = session.room;
    uint64_t id = session.participant->id;
    removeParticipant(key, id, "leaving");
    if (Room* room = findRoom(key); room && room->unused())
        closeRoom(key);
    Json reply = Json::object();
    reply.set("audiobridge", "left").set("room", roomValue(key)).set("id", static_cast<json_int_t>(id));
    return Reply{reply, {}};
}

void AudioMixerPlugin::onTalk(const std::string& key, uint64_t participantId, bool talking, int level) {
    Room* room = findRoom(key);
    if (!room || !room->mixer->find(participantId))
        return;
    Json event = Json::object();
    event.set("audiobridge", talking ? "talking" : "stopped-talking")
        .set("room", roomValue(key))
        .set("id", static_cast<json_int_t>(participantId))
        .set("audio-level-dBov-avg", level);
    broadcast(*room, event);
    janus::Handle* talker = nullptr;  // a WebRTC participant's handle; plain RTP legs have none
    if (auto it = room->sessions.find(participantId); it != room->sessions.end()) {
        if (auto session = it->second.lock())
            talker = session->handle();
    }
    events().notify(talker, [&] { return AudioMixerEvents::talking(roomValue(key), participantId, talking, level); });
    room->hub->post(kPackage, std::string(kPackage) + "/" + std::to_string(participantId), hub::talking(talking));
}

void AudioMixerPlugin::startZrtp(RequestReader& reader, const std::string& key, const MixParticipant& participant,
                                 RtpEndpoint& endpoint, Json& rtpInfo) {
    // rtp.zrtp = {"hash": the phone's a=zrtp-hash, "self_uri", "peer_uri"}; ignored when ZRTP is
    // off or SDES already keyed the leg (the focus then answers without a=zrtp-hash).
    RequestReader rtpReader(reader.optionalObject("rtp"));
    json_t* zrtp = rtpReader.optionalObject("zrtp");
    if (!zrtp || !zrtpCache_ || rtpReader.optionalObject("srtp"))
        return;
    RequestReader zrtpReader(zrtp);
    std::string peerHash = zrtpReader.requireString("hash", 80);
    std::string selfUri = zrtpReader.optionalString("self_uri", 512).value_or("sip:" + key);
    std::string peerUri = zrtpReader.requireString("peer_uri", 512);
    uint64_t id = participant.id;
    std::string hash;
    try {
        hash = endpoint.startZrtp(zrtpCache_.get(), selfUri, peerUri, peerHash, participant.ssrc(),
                                  [this, key, id, peerUri](const net::ZrtpKeys& keys) {
                                      // Mixer thread, inside the ZRTP session's lock: hand over.
                                      loop().post([this, key, id, peerUri, sas = keys.sas, verified = keys.verified] {
                                          onZrtpSecure(key, id, peerUri, sas, verified);
                                      });
                                  });
    } catch (const std::runtime_error& e) {
        throw RequestError(ErrorCode::AudioMixerRtpUnavailable, std::string("ZRTP: ") + e.what());
    }
    rtpInfo.set("zrtp_hash", hash);
}

void AudioMixerPlugin::onZrtpSecure(const std::string& key, uint64_t participantId, const std::string& peerUri,
                                    const std::string& sas, bool verified) {
    Room* room = findRoom(key);
    auto participant = room ? room->mixer->find(participantId) : nullptr;
    if (!participant)
        return;  // gone before the SAS arrived
    SYLK_LOG(LOG_INFO, kPackage, "ZRTP secure for participant %llu in room %s", (unsigned long long)participantId,
             key.c_str());
    // Web users: an audiobridge event (as talking is), so a page can show the SAS by the name.
    Json event = roomEvent(key);
    Json zrtp = Json::object();
    zrtp.set("id", static_cast<json_int_t>(participantId))
        .set("display", participant->display)
        .set("uri", peerUri)
        .set("sas", sas)
        .setBool("verified", verified);
    event.set("audiobridge", "event").set("zrtp", zrtp);
    broadcast(*room, event);
    // Everyone in the room (web, phones, MSRP, XMPP): a status notice in the chat, as SylkServer
    // sends the SAS of a ZRTP stream: the room is the phone's ZRTP peer, so its user compares
    // this SAS with the one the phone shows.
    hub::ChatMessage message;
    message.id = hub::newMessageId();
    message.display = "Conference Room";
    std::string who = participant->display.empty() ? peerUri : participant->display + " <" + peerUri + ">";
    message.text = who + " is ZRTP-secured, SAS: " + sas + (verified ? " (verified)" : "");
    message.timestamp = hub::nowMs();
    // From the room itself, not from the phone's member: the focus sends the room's chat to
    // every phone but the sender, and this phone's user is the one who needs it most.
    room->hub->post(kPackage, std::string(kPackage) + "/room", hub::chat(message));
}

void AudioMixerPlugin::onHangup(std::shared_ptr<AudioMixerSession> session) {
    loop().post([this, session] {
        if (session->room.empty() || !session->participant)
            return;
        std::string key = session->room;
        removeParticipant(key, session->participant->id, "leaving");
        if (Room* room = findRoom(key); room && room->unused())
            closeRoom(key);
    });
}

void AudioMixerPlugin::onDetached(std::shared_ptr<AudioMixerSession> session) { onHangup(std::move(session)); }

}  // namespace sylk::audiomixer
