#include "videoroom_plugin.hpp"

#include <glib.h>

#include <algorithm>

#include "sylkcore/janus/sdp_answer.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "recording.hpp"
#include "videoroom_events.hpp"
#include "videoroom_common.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk video rooms: an SFU compatible with the stock videoroom API, with room chat.",
    "Sylk VideoRoom",
    "Sylk for Janus",
    kPackage,
    "videoroom",
};

MediaKind kindOf(const std::string& type) {
    return type == "audio" ? MediaKind::Audio : type == "video" ? MediaKind::Video : MediaKind::Data;
}

}  // namespace

VideoRoomPlugin::VideoRoomPlugin() : Plugin(kInfo) {}

void VideoRoomPlugin::configure(const janus::PluginConfig& config) {
    createOnDemand_ = config.getBool("create_on_demand", true);
    adminKey_ = config.getString("admin_key", "");
    defaults_.maxPublishers = config.getInt("max_publishers", 50, 1, 1000);
    defaults_.historySize = static_cast<size_t>(config.getInt("history_size", 50, 0, 1000));
    defaults_.bitrate = static_cast<uint32_t>(config.getInt("bitrate", 0, 0, 100'000'000));
    maxMessageBytes_ = static_cast<size_t>(config.getInt("max_message_bytes", 16 * 1024, 16, 1024 * 1024));
    recordingsDir_ = config.getString("recordings_dir", SYLK_VIDEOROOM_RECORDINGS_DIR);
    dialDomain_ = config.getString("dial_domain", "");
    // Persistent rooms: one category per room, "room-<name>: { ... }".
    for (const auto& category : config.categories("room-")) {
        const char* name = category.c_str();
        RoomSettings settings = defaults_;
        settings.description = config.getString(name, "description", "");
        settings.pin = config.getString(name, "pin", "");
        settings.secret = config.getString(name, "secret", "");
        settings.maxPublishers = config.getInt(name, "publishers", defaults_.maxPublishers, 1, 1000);
        settings.bitrate = static_cast<uint32_t>(config.getInt(name, "bitrate", defaults_.bitrate, 0, 100'000'000));
        settings.isPrivate = config.getBool(name, "is_private", false);
        settings.record = config.getBool(name, "record", false);
        settings.audioCodecs = parseCodecList(config.getString(name, "audiocodec", ""), false);
        settings.videoCodecs = parseCodecList(config.getString(name, "videocodec", ""), true);
        makeRoom(RoomId::fromString(category.substr(5)), settings);
        // A configured room is persistent: its shared files outlive it and a restart.
        files::FileStore::instance().keepRoom(category.substr(5));
    }

    onRequest<Session>("create", Execution::LoopSync, &VideoRoomPlugin::create);
    onRequest<Session>("destroy", Execution::LoopSync, &VideoRoomPlugin::destroyRoom);
    onRequest<Session>("edit", Execution::LoopSync, &VideoRoomPlugin::edit);
    onRequest<Session>("composing", Execution::ControlLoop, &VideoRoomPlugin::composing);
    onRequest<Session>("exists", Execution::LoopSync, &VideoRoomPlugin::exists);
    onRequest<Session>("list", Execution::LoopSync, &VideoRoomPlugin::list);
    onRequest<Session>("listparticipants", Execution::LoopSync, &VideoRoomPlugin::listParticipants);
    onRequest<Session>("join", Execution::ControlLoop, &VideoRoomPlugin::join);
    onRequest<Session>("joinandconfigure", Execution::ControlLoop, &VideoRoomPlugin::join);
    onRequest<Session>("configure", Execution::ControlLoop, &VideoRoomPlugin::configure);
    onRequest<Session>("publish", Execution::ControlLoop, &VideoRoomPlugin::publish);
    onRequest<Session>("unpublish", Execution::ControlLoop, &VideoRoomPlugin::unpublish);
    onRequest<Session>("start", Execution::ControlLoop, &VideoRoomPlugin::start);
    onRequest<Session>("pause", Execution::ControlLoop, &VideoRoomPlugin::pause);
    onRequest<Session>("subscribe", Execution::ControlLoop, &VideoRoomPlugin::subscribe);
    onRequest<Session>("unsubscribe", Execution::ControlLoop, &VideoRoomPlugin::unsubscribe);
    onRequest<Session>("update", Execution::ControlLoop, &VideoRoomPlugin::update);
    onRequest<Session>("leave", Execution::ControlLoop, &VideoRoomPlugin::leave);
    onRequest<Session>("switch", Execution::ControlLoop, &VideoRoomPlugin::switchFeeds);
    onRequest<Session>("message", Execution::ControlLoop, &VideoRoomPlugin::message);
    onRequest<Session>("kick", Execution::LoopSync, &VideoRoomPlugin::kick);
    onRequest<Session>("moderate", Execution::LoopSync, &VideoRoomPlugin::moderate);
    onRequest<Session>("mute_all", Execution::LoopSync, &VideoRoomPlugin::muteAll);
    onRequest<Session>("lock", Execution::LoopSync, &VideoRoomPlugin::lock);
    onRequest<Session>("raise_hand", Execution::ControlLoop, &VideoRoomPlugin::raiseHand);
    onRequest<Session>("dial", Execution::LoopSync, &VideoRoomPlugin::dial);
    hub::Services::instance().offer(hub::service::VideoRoomDialProgress, [this](const Json& report) { return queueDialProgress(report); });
    hub::Services::instance().offer(hub::service::VideoRoomAdmit, [this](const Json& request) { return admitFromHub(request); });
    onAdminRequest("list", &VideoRoomPlugin::adminListRooms, Execution::LoopSync);
    onAdminRequest("create", &VideoRoomPlugin::adminCreate, Execution::LoopSync);
    onAdminRequest("destroy", &VideoRoomPlugin::adminDestroy, Execution::LoopSync);
    onAdminRequest("relay", &VideoRoomPlugin::adminRelay, Execution::LoopSync);
    onAdminRequest("list_relays", &VideoRoomPlugin::adminListRelays, Execution::LoopSync);
    onAdminRequest("list_audio_bridges", &VideoRoomPlugin::adminListAudioBridges, Execution::LoopSync);
    offerRelayServices();
}

std::shared_ptr<janus::PluginSession> VideoRoomPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<VideoRoomSession>(handle, *this);
}

void VideoRoomPlugin::onShutdown() {
    hub::Services::instance().withdraw(hub::service::VideoRoomDialProgress);
    hub::Services::instance().withdraw(hub::service::VideoRoomAdmit);
    withdrawRelayServices();
    for (auto& [key, room] : rooms_) {
        // Their threads and sockets end now, not whenever the room's last reference goes.
        room->audioBridge.reset();  // the mixer may be gone already: not told
        room->remoteFeeds.clear();
        room->relays.clear();
        room->closeHub();
    }
    rooms_.clear();
}

// ------------------------------------------------------------------ rooms

Json VideoRoomPlugin::admitFromHub(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        RoomId id = RoomId::fromString(reader.requireString("room", 256));
        std::string pin = reader.optionalString("pin", 256).value_or("");
        Json answer = Json::object();
        auto room = findRoom(id);
        if (room && !room->settings.pin.empty() && pin != room->settings.pin)
            answer.setBool("admitted", false).set("reason", "pin");
        else if (room && room->locked)
            answer.setBool("admitted", false).set("reason", "locked");
        else
            answer.setBool("admitted", true);
        answer.setBool("protected", room && !room->settings.pin.empty());
        return Reply{answer, {}};
    }).body;
}

std::shared_ptr<VideoRoom> VideoRoomPlugin::findRoom(const RoomId& id) const {
    auto it = rooms_.find(id.key);
    return it == rooms_.end() ? nullptr : it->second;
}

std::shared_ptr<VideoRoom> VideoRoomPlugin::makeRoom(const RoomId& id, RoomSettings settings) {
    auto room = std::make_shared<VideoRoom>(id, std::move(settings), [this](std::weak_ptr<VideoRoom> weak, hub::RoomEvent event) {
        // Hub events arrive on the poster's thread: continue on the control loop.
        loop().post([this, weak, event] {
            if (auto room = weak.lock())
                deliverChat(room, event);
        });
    });
    room->openHub();
    rooms_[id.key] = room;
    events().notify(nullptr, [&] { return VideoRoomEvents::room("created", *room); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s created", id.key.c_str());
    return room;
}

void VideoRoomPlugin::closeRoom(const std::shared_ptr<VideoRoom>& room, bool notifyParticipants) {
    if (notifyParticipants) {
        Json event = Json::object();
        event.set("videoroom", "destroyed").set("room", room->id.value);
        broadcast(*room, event);
    }
    for (auto& subscriber : room->liveSubscribers())
        subscriber->detachAll();
    closeAudioBridge(room, true);
    for (auto& [participantId, participant] : room->participants) {
        unpublishStreams(participant);
        if (room->hubRoom())
            room->hubRoom()->leave(participant->memberId());
    }
    room->participants.clear();
    dropRemoteFeeds(room);
    room->relays.clear();
    // Its shared files go when the hub forgets the room (FileStore::roomForgotten): not while
    // phones or MSRP clients are still in it.
    room->closeHub();
    rooms_.erase(room->id.key);
    events().notify(nullptr, [&] { return VideoRoomEvents::room("destroyed", *room); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s closed", room->id.key.c_str());
}

void VideoRoomPlugin::checkSecret(const VideoRoom& room, RequestReader& reader) {
    auto secret = reader.optionalString("secret", 256);
    if (!room.settings.secret.empty() && secret.value_or("") != room.settings.secret)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong or missing room secret)");
}

Json VideoRoomPlugin::roomEvent(const VideoRoom& room) const {
    Json event = makeEvent();
    event.set("room", room.id.value);
    return event;
}

void VideoRoomPlugin::notify(janus::Handle* handle, const Json& event, const Json& jsep) {
    pushEventTo(handle, "", event, jsep);
}

void VideoRoomPlugin::broadcast(const VideoRoom& room, const Json& event, uint64_t except) {
    for (const auto& [participantId, participant] : room.participants) {
        if (participantId != except)
            notify(participant->handle(), event);
    }
}

uint64_t VideoRoomPlugin::newParticipantId(const VideoRoom& room) const {
    uint64_t id;
    do {
        id = randomId();
    } while (room.participants.count(id));
    return id;
}

// ------------------------------------------------------------------ joining

Reply VideoRoomPlugin::join(Session& session, RequestReader& reader, const Request& request) {
    RoomId id = RoomId::read(reader);
    std::string ptype = reader.requireString("ptype", 32);
    if (session.hasRole())
        throw RequestError(ErrorCode::VideoRoomAlreadyJoined, "this handle already joined a room");
    if (ptype == "publisher")
        return joinAsPublisher(session, reader, request, id);
    if (ptype == "subscriber" || ptype == "listener")
        return joinAsSubscriber(session, reader, request, id);
    throw RequestError(ErrorCode::InvalidField, "field 'ptype' must be 'publisher' or 'subscriber', not '" + ptype + "'");
}

Reply VideoRoomPlugin::joinAsPublisher(Session& session, RequestReader& reader, const Request& request, const RoomId& id) {
    std::string display = reader.optionalString("display", 256).value_or("");
    std::string pin = reader.optionalString("pin", 256).value_or("");
    std::string secret = reader.optionalString("secret", 256).value_or("");
    auto wantedId = reader.optionalInt("id", 1, kMaxId);
    // Everything that can refuse the join is checked before a room is made on demand, against
    // the settings it would have: a refused join must not leave an empty room behind (issue 17).
    auto room = findRoom(id);
    if (!room && !createOnDemand_)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    const RoomSettings& settings = room ? room->settings : defaults_;
    if (!settings.pin.empty() && pin != settings.pin)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong PIN)");
    if (auto hubRoom = hub::Hub::instance().find(id.key); hubRoom && !hubRoom->admitsPin(pin))
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong PIN: the room's audio has one)");
    bool holdsSecret = !settings.secret.empty() && secret == settings.secret;
    if (!secret.empty() && !holdsSecret)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong room secret)");
    if (room && room->locked && !holdsSecret)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "the room is locked");
    if (room && wantedId && room->participants.count(static_cast<uint64_t>(*wantedId)))
        throw RequestError(ErrorCode::VideoRoomAlreadyJoined, "participant id " + std::to_string(*wantedId) + " is taken");
    bool madeIt = false;
    if (!room) {
        RoomSettings onDemand = defaults_;
        onDemand.onDemand = true;
        room = makeRoom(id, onDemand);
        madeIt = true;
    }
    try {
        return admitPublisher(session, reader, request, room, wantedId, display, holdsSecret, madeIt);
    } catch (...) {
        // Failures from here on are not refusals (a bad offer in joinandconfigure comes after
        // the publisher is in); a room this join made must still not outlive one left empty.
        if (madeIt && room->participants.empty() && findRoom(room->id) == room)
            closeRoom(room, false);
        throw;
    }
}

Reply VideoRoomPlugin::admitPublisher(Session& session, RequestReader& reader, const Request& request,
                                      const std::shared_ptr<VideoRoom>& room, std::optional<int64_t> wantedId,
                                      const std::string& display, bool holdsSecret, bool madeIt) {
    uint64_t participantId = wantedId ? static_cast<uint64_t>(*wantedId) : newParticipantId(*room);
    auto publisher = std::make_shared<Publisher>(gateway(), session.handle(), room, participantId, randomId(), display);
    publisher->setBitrateCap(room->settings.bitrate);
    // Who made a room by joining it moderates it, unless it has a secret: then its holders do.
    publisher->moderator = holdsSecret || (madeIt && room->settings.secret.empty());
    Reply reply{Json::object(), {}};
    reply.body.set("videoroom", "joined")
        .set("room", room->id.value)
        .set("description", room->settings.description.empty() ? room->id.key : room->settings.description)
        .set("id", static_cast<json_int_t>(participantId))
        .set("private_id", static_cast<json_int_t>(publisher->privateId))
        .set("publishers", room->activePublishersJson(participantId))
        .set("history", room->historyJson(&publisher->historyThrough))
        .setBool("moderator", publisher->moderator)
        .setBool("locked", room->locked)
        .set("raised_hands", room->raisedHandsJson());
    publisher->setTalkListener([this](std::weak_ptr<Publisher> weak, bool talking, int level) {
        loop().post([this, weak, talking, level] {
            if (auto speaker = weak.lock())
                onTalking(speaker, talking, level);
        });
    });
    auto& files = files::FileStore::instance();
    if (files.enabled()) {
        publisher->fileToken = files.grant(room->id.key, publisher->memberId(), display);
        reply.body.set("file_token", publisher->fileToken)
            .set("files", files.listJson(room->id.key))
            .set("max_file_bytes", static_cast<json_int_t>(files.maxBytes()));
    }
    room->participants[participantId] = publisher;
    room->speakers.push_back(participantId);
    session.becomePublisher(publisher);
    events().notify(session.handle(), [&] { return VideoRoomEvents::joined(*publisher); });
    room->hubRoom()->join(rosterMember(*publisher));  // moderator: other plugins honour its kicks
    wantRemoteFeeds(room);  // the publishers of other nodes' participants, relayed here
    // The room's phones, if it has any, for a page that may never publish (listen-only): after
    // this reply, so that the mix feed's "publishers" event follows "joined".
    std::weak_ptr<VideoRoom> weakRoom = room;
    loop().post([this, weakRoom] {
        if (auto joinedRoom = weakRoom.lock(); joinedRoom && !joinedRoom->audioBridge)
            reconcileAudioBridge(joinedRoom);
    });
    if (request.jsep) {
        // joinandconfigure: the answer comes with the "joined" event.
        Reply configured{makeEvent(), {}};
        negotiatePublisher(session, reader, request, configured);
        reply.jsep = configured.jsep;
    }
    return reply;
}

Reply VideoRoomPlugin::joinAsSubscriber(Session& session, RequestReader& reader, const Request&, const RoomId& id) {
    auto room = findRoom(id);
    if (!room)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    std::string pin = reader.optionalString("pin", 256).value_or("");
    if (!room->settings.pin.empty() && pin != room->settings.pin)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong PIN)");
    if (room->hubRoom() && !room->hubRoom()->admitsPin(pin))  // the mix feed carries the mixer's room
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong PIN: the room's audio has one)");
    uint64_t privateId = static_cast<uint64_t>(reader.optionalInt("private_id", 0, kMaxId).value_or(0));
    json_t* streams = reader.optionalArray("streams", 256);
    Json legacy;
    if (!streams) {
        // The pre-multistream form: {"feed": id}
        auto feed = reader.optionalInt("feed", 1, kMaxId);
        if (!feed)
            throw RequestError(ErrorCode::MissingField, "missing field 'streams' (a list of {\"feed\": id, \"mid\": ...})");
        legacy = Json::array();
        legacy.append(Json::object().set("feed", static_cast<json_int_t>(*feed)));
        streams = legacy.get();
    }
    auto subscriber = std::make_shared<Subscriber>(session.handle(), room, privateId);
    if (addSubscriptions(*subscriber, streams) == 0) {
        subscriber->detachAll();
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "none of the requested streams is being published");
    }
    session.becomeSubscriber(subscriber);
    room->subscribers.push_back(subscriber);
    events().notify(session.handle(), [&] { return VideoRoomEvents::subscriber("subscribing", *subscriber); });
    Reply reply{Json::object(), subscriber->offer()};
    reply.body.set("videoroom", "attached").set("room", room->id.value).set("streams", subscriber->describeStreams());
    return reply;
}

int VideoRoomPlugin::addSubscriptions(Subscriber& subscriber, json_t* streams) {
    int added = 0;
    for (const auto& selector : parseFeedSelectors(streams)) {
        auto publisher = subscriber.room->findFeed(selector.feed);
        if (!publisher || !publisher->active)
            throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such feed (" + std::to_string(selector.feed) + ")");
        for (const auto& stream : publisher->streams()) {
            if (!selector.mid.empty() && stream->mid != selector.mid)
                continue;
            if (stream->kind == MediaKind::Data)
                continue;  // room data goes through the hub, not through data channels
            if (subscriber.addSlot(publisher, stream))
                ++added;
        }
    }
    return added;
}

int VideoRoomPlugin::removeSubscriptions(Subscriber& subscriber, json_t* streams) {
    int removed = 0;
    for (const auto& selector : parseFeedSelectors(streams))
        removed += subscriber.removeFeed(selector.feed, selector.mid);
    return removed;
}

// ------------------------------------------------------------------ publishing

std::shared_ptr<Publisher> VideoRoomPlugin::requireParticipant(Session& session) {
    if (!session.publisher() || session.left)
        throw RequestError(ErrorCode::VideoRoomJoinFirst, "join a room as a publisher first");
    return session.publisher();
}

std::shared_ptr<Subscriber> VideoRoomPlugin::requireSubscriber(Session& session) {
    if (!session.subscriber() || session.left)
        throw RequestError(ErrorCode::VideoRoomJoinFirst, "join a room as a subscriber first");
    return session.subscriber();
}

void VideoRoomPlugin::negotiatePublisher(Session& session, RequestReader& reader, const Request& request, Reply& reply) {
    auto publisher = requireParticipant(session);
    auto& room = *publisher->room;
    if (auto display = reader.optionalString("display", 256); display && *display != publisher->display) {
        publisher->display = *display;
        // The other plugins' users see the new name: the hub's `updated` roster event (an XMPP
        // occupant's nickname change, the SIP focus's conference-info).
        room.hubRoom()->join(rosterMember(*publisher));
    }
    if (auto bitrate = reader.optionalInt("bitrate", 0, 100'000'000))
        publisher->setBitrateCap(static_cast<uint32_t>(*bitrate));
    auto record = reader.optionalBool("record");
    std::string recordingName = reader.optionalString("filename", 200).value_or("");
    if (!recordingName.empty() && !files::FileStore::validName(recordingName))
        throw RequestError(ErrorCode::InvalidField, "invalid recording file name (a plain name, no '/' or '..')");
    if (request.jsep) {
        if (!publisher->publishing() && room.activePublishers() >= room.settings.maxPublishers)
            throw RequestError(ErrorCode::VideoRoomPublishersFull,
                               "the room has its maximum of " + std::to_string(room.settings.maxPublishers) + " publishers");
        janus::AnswerOptions options;
        options.receiveOnly = true;
        options.audioCodecs = room.settings.audioCodecs;
        options.videoCodecs = room.settings.videoCodecs;
        if (auto codec = reader.optionalString("audiocodec", 32))
            options.audioCodec = g_intern_string(codec->c_str());
        if (auto codec = reader.optionalString("videocodec", 32))
            options.videoCodec = g_intern_string(codec->c_str());
        janus::SdpAnswer answer = janus::answerOffer(request.jsep, options);
        std::vector<std::shared_ptr<PublishedStream>> streams;
        for (const auto& media : answer.media) {
            auto stream = std::make_shared<PublishedStream>();
            stream->mindex = media.mindex;
            stream->mid = media.mid.empty() ? std::to_string(media.mindex) : media.mid;
            stream->kind = kindOf(media.type);
            stream->codec = media.codec;
            stream->pt = media.pt;
            if (stream->kind == MediaKind::Video)
                stream->videoCodec = janus::videoCodecFromName(stream->codec.c_str());
            json_t* simulcast = request.jsep.member("simulcast");
            if (stream->kind == MediaKind::Video && json_is_array(simulcast) &&
                (stream->videoCodec == janus::video_codec::Vp8 || stream->videoCodec == janus::video_codec::H264)) {
                size_t index;
                json_t* entry;
                json_array_foreach(simulcast, index, entry) {
                    if (json_integer_value(json_object_get(entry, "mindex")) != stream->mindex)
                        continue;
                    stream->simulcast = true;
                    stream->simulcastSource.prepare(entry);
                }
            }
            if (auto previous = publisher->findStream(stream->mid)) {
                // Renegotiation keeps the subscribers of a stream that stays, and its mutes.
                stream->targets.store(previous->targets.load());
                stream->description = previous->description;
                stream->moderated.store(previous->moderated.load());
                stream->selfMuted.store(previous->selfMuted.load());
            }
            streams.push_back(std::move(stream));
        }
        if (json_t* descriptions = reader.optionalArray("descriptions", 64)) {
            size_t index;
            json_t* entry;
            json_array_foreach(descriptions, index, entry) {
                RequestReader item(entry);
                std::string mid = item.requireString("mid", 64);
                std::string text = item.requireString("description", 256);
                for (auto& stream : streams) {
                    if (stream->mid == mid)
                        stream->description = text;
                }
            }
        }
        // Streams the publisher stopped sending (a screen share ended): their subscribers' slots
        // go inactive and those subscribers get a new offer.
        std::vector<std::string> gone;
        for (const auto& previous : publisher->streams()) {
            bool kept = std::any_of(streams.begin(), streams.end(), [&](const auto& s) { return s->mid == previous->mid; });
            if (!kept)
                gone.push_back(previous->mid);
        }
        for (auto& subscriber : room.liveSubscribers()) {
            int removed = 0;
            for (const auto& mid : gone)
                removed += subscriber->removeFeed(publisher->id, mid);
            if (removed > 0) {
                Reply update = subscriberUpdate(*subscriber);
                notify(subscriber->handle(), update.body, update.jsep);
            }
        }
        publisher->setStreams(std::move(streams));
        reply.jsep = answer.jsep;
        if (record.value_or(room.settings.record))
            setRecording(publisher, true, recordingName);
        if (publisher->active) {
            announcePublisher(publisher);  // renegotiated: others learn the new stream list
            events().notify(publisher->handle(), [&] { return VideoRoomEvents::published("updated", *publisher); });
        }
    }
    if (record && !request.jsep)
        setRecording(publisher, *record, recordingName);
    if (json_t* sends = reader.optionalRaw("streams")) {
        // The stock form of a publisher's own mute: every mid is checked before any changes.
        auto changes = parseStreamSends(sends);
        std::vector<std::pair<std::shared_ptr<PublishedStream>, bool>> targets;
        for (const auto& change : changes) {
            auto stream = publisher->findStream(change.mid);
            if (!stream)
                throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "you publish no stream '" + change.mid + "'");
            targets.emplace_back(std::move(stream), !change.send);
        }
        for (const auto& [stream, muted] : targets)
            setSelfMuted(publisher, *stream, muted);
    }
    reply.body.set("room", room.id.value).set("configured", "ok");
    events().notify(publisher->handle(), [&] { return VideoRoomEvents::configured(*publisher); });
}

void VideoRoomPlugin::setRecording(const std::shared_ptr<Publisher>& publisher, bool on, const std::string& baseName) {
    std::string base = baseName;
    if (base.empty()) {
        // room-participant: room names may hold anything, file names may not
        std::string room = publisher->room->id.key;
        for (char& c : room) {
            if (!g_ascii_isalnum(c) && c != '-' && c != '.' && c != '@')
                c = '_';
        }
        base = room + "-" + std::to_string(publisher->id);
    }
    for (const auto& stream : publisher->streams()) {
        if (stream->kind == MediaKind::Data || stream->codec.empty())
            continue;
        if (!on) {
            stream->recording.store(nullptr);
            continue;
        }
        if (stream->recording.load())
            continue;
        try {
            stream->recording.store(std::make_shared<Recording>(recordingsDir_, stream->codec,
                                                                base + "-" + kindName(stream->kind) + "-" + stream->mid));
        } catch (const std::exception& e) {
            throw RequestError(ErrorCode::InternalError, e.what());
        }
    }
}

Reply VideoRoomPlugin::configure(Session& session, RequestReader& reader, const Request& request) {
    if (session.subscriber()) {
        // Subscribers may pause/resume through configure in the stock API.
        auto subscriber = requireSubscriber(session);
        if (json_t* streams = reader.optionalArray("streams", 256)) {
            // Simulcast layer per subscribed stream: [{"mid", "substream", "temporal"}]
            size_t index;
            json_t* entry;
            json_array_foreach(streams, index, entry) {
                RequestReader item(entry);
                std::string mid = item.requireString("mid", 64);
                auto substream = item.optionalInt("substream", 0, 2);
                auto temporal = item.optionalInt("temporal", 0, 2);
                auto automatic = item.optionalBool("auto");  // Sylk: back to bandwidth-driven layers
                auto spatial = item.optionalInt("spatial_layer", 0, 2);   // VP9 SVC
                auto temporalLayer = item.optionalInt("temporal_layer", 0, 2);
                for (const auto& slot : subscriber->slots()) {
                    if (slot->mid != mid)
                        continue;
                    if (automatic)
                        slot->autoLayer = *automatic;
                    if (substream) {
                        slot->autoLayer = false;
                        slot->substreamTarget = static_cast<int>(*substream);
                    }
                    if (temporal)
                        slot->temporalTarget = static_cast<int>(*temporal);
                    if (spatial)
                        slot->spatialTarget = static_cast<int>(*spatial);
                    if (temporalLayer)
                        slot->temporalLayerTarget = static_cast<int>(*temporalLayer);
                    if (auto publisher = slot->publisher.load().lock())
                        publisher->requestKeyframe(slot->feedMindex);
                }
            }
        }
        if (auto lastN = reader.optionalInt("last_n", 0, 64))
            subscriber->lastN = static_cast<int>(*lastN);
        if (auto preferScreen = reader.optionalBool("prefer_screen"))
            subscriber->preferScreen = *preferScreen;
        subscriber->selectVideo(subscriber->room->speakers, ownerFeed(*subscriber->room, *subscriber));
        if (auto paused = reader.optionalBool("pause")) {
            subscriber->paused = *paused;
            *paused ? subscriber->stopSending() : subscriber->startSending();
        }
        Reply reply{makeEvent(), {}};
        reply.body.set("room", subscriber->room->id.value).set("configured", "ok").set("last_n", subscriber->lastN);
        if (reader.optionalBool("restart").value_or(false)) {
            // ICE restart, as the stock plugin: a subscriber cannot offer, so it asks for a fresh
            // offer of the same streams; "restart" in the jsep makes Janus core renew its ICE
            // credentials and gather again (its network changed, or its connection failed).
            reply.jsep = subscriber->offer();
            reply.jsep.setBool("restart", true);
        }
        return reply;
    }
    Reply reply{makeEvent(), {}};
    negotiatePublisher(session, reader, request, reply);
    return reply;
}

Reply VideoRoomPlugin::publish(Session& session, RequestReader& reader, const Request& request) {
    auto publisher = requireParticipant(session);
    if (publisher->publishing())
        throw RequestError(ErrorCode::VideoRoomAlreadyPublished, "already publishing: use configure to change it");
    if (!request.jsep)
        throw RequestError(ErrorCode::InvalidJsep, "publish needs a jsep offer");
    Reply reply{makeEvent(), {}};
    negotiatePublisher(session, reader, request, reply);
    return reply;
}

void VideoRoomPlugin::announcePublisher(const std::shared_ptr<Publisher>& publisher) {
    Json event = roomEvent(*publisher->room);
    Json list = Json::array();
    list.append(publisher->describe());
    event.set("publishers", list);
    broadcast(*publisher->room, event, publisher->id);
    relayPublished(publisher);  // other nodes' views of this publisher follow
    if (!publisher->audioMix)
        reconcileAudioBridge(publisher->room);  // its audio to the room's phones, if any
}

void VideoRoomPlugin::unpublishStreams(const std::shared_ptr<Publisher>& publisher) {
    bool wasActive = publisher->active;
    publisher->active = false;
    auto& room = *publisher->room;
    // Subscribers fed by this publisher get their slots turned inactive and a new offer.
    for (auto& subscriber : room.liveSubscribers()) {
        if (subscriber->removeFeed(publisher->id) > 0) {
            Json event = Json::object();
            event.set("videoroom", "updated").set("room", room.id.value).set("streams", subscriber->describeStreams());
            notify(subscriber->handle(), event, subscriber->offer());
            events().notify(subscriber->handle(), [&] { return VideoRoomEvents::subscriber("updated", *subscriber); });
        }
    }
    publisher->setStreams({});
    if (wasActive) {
        Json event = roomEvent(room);
        event.set("unpublished", static_cast<json_int_t>(publisher->id));
        broadcast(room, event, publisher->id);
        events().notify(publisher->handle(), [&] { return VideoRoomEvents::participant("unpublished", *publisher); });
    }
    relayUnpublished(publisher);
    if (!publisher->audioMix && publisher->room->audioBridge)
        reconcileAudioBridge(publisher->room);
}

Reply VideoRoomPlugin::unpublish(Session& session, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    auto publisher = requireParticipant(session);
    if (!publisher->publishing())
        throw RequestError(ErrorCode::VideoRoomNotPublished, "not publishing");
    unpublishStreams(publisher);
    gateway().closePc(session.handle());
    Reply reply{makeEvent(), {}};
    reply.body.set("room", publisher->room->id.value).set("unpublished", "ok");
    return reply;
}

void VideoRoomPlugin::onMediaUp(std::shared_ptr<VideoRoomSession> session) {
    loop().post([this, session] {
        if (session->stopped() || session->left)
            return;
        if (auto publisher = session->publisher(); publisher && publisher->publishing() && !publisher->active) {
            publisher->active = true;
            announcePublisher(publisher);
            events().notify(session->handle(), [&] { return VideoRoomEvents::published("published", *publisher); });
        }
        if (auto subscriber = session->subscriber()) {
            events().notify(session->handle(), [&] { return VideoRoomEvents::subscriber("subscribed", *subscriber); });
            subscriber->startSending();
            subscriber->requestKeyframes();  // the first ones were asked for before ICE was up
        }
    });
}

void VideoRoomPlugin::onMediaDown(std::shared_ptr<VideoRoomSession> session) {
    loop().post([this, session] {
        if (auto publisher = session->publisher(); publisher && !session->left && publisher->publishing())
            unpublishStreams(publisher);
        if (auto subscriber = session->subscriber())
            subscriber->stopSending();
    });
}

void VideoRoomPlugin::onDetached(std::shared_ptr<VideoRoomSession> session) {
    loop().post([this, session] {
        if (session->left)
            return;
        session->left = true;
        if (auto publisher = session->publisher())
            removeParticipant(publisher, "leaving");
        if (auto subscriber = session->subscriber())
            subscriber->detachAll();
    });
}

void VideoRoomPlugin::removeParticipant(const std::shared_ptr<Publisher>& publisher, const char* why) {
    auto room = publisher->room;
    if (!room->participants.erase(publisher->id))
        return;
    std::erase(room->speakers, publisher->id);
    if (!publisher->fileToken.empty())
        files::FileStore::instance().revoke(publisher->fileToken);
    unpublishStreams(publisher);
    Json event = roomEvent(*room);
    event.set(why, static_cast<json_int_t>(publisher->id));
    broadcast(*room, event);
    events().notify(publisher->handle(), [&] { return VideoRoomEvents::participant(why, *publisher); });
    if (room->hubRoom())
        room->hubRoom()->leave(publisher->memberId());
    dropRelaysOf(*room, publisher->id);
    if (room->participants.empty())
        dropRemoteFeeds(room);  // nobody here watches them any more: their relays stop
    if (room->settings.onDemand && room->participants.empty() && findRoom(room->id) == room)
        closeRoom(room, false);
}

}  // namespace sylk::videoroom

