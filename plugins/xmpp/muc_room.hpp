// One XMPP room (XEP-0045) on a hub room of the same name: the XMPP occupants (full JIDs) that
// joined through our component, and the nicknames of every hub member as XMPP sees them.
// - Joining: the joiner gets every other member's presence, its own last (status 110), the
//   room's history (the hub's, with <delay/>) and the subject; it joins the hub room as
//   member "janus.plugin.sylk.xmpp/<n>" with its nickname as display.
// - Hub roster changes of other plugins' members become presence to every XMPP occupant; the
//   XMPP occupants' own comings and goings are sent when they happen (their hub events are
//   not needed again).
// - Groupchat from an occupant becomes one hub `chat`; every hub `chat` (that one included,
//   which is the sender's echo) becomes one groupchat to each XMPP occupant. Private messages,
//   chat states <-> `composing` likewise, to and from one member.
// - Moderation: an occupant moderates when its bare JID is in the `moderators` setting; every
//   hub member that moderates (hub::Member::moderator, e.g. a web user holding the room's
//   secret) shows with role moderator. A moderator's kick (muc#admin role none) becomes a hub
//   `kick` of any member; the plugin serving it removes it; ours leave with status 307.
// - Nickname change (§7.6): unavailable with 303 and the new nick, then available; the hub
//   member's display follows (an `updated` event every plugin sees).
// Hub events arrive on the poster's thread and are posted to the stack thread; everything else
// runs there.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "component_link.hpp"
#include "jid.hpp"
#include "occupant_nicks.hpp"
#include "server_multicast.hpp"
#include "stanza_reader.hpp"
#include "sylkcore/hub/room.hpp"
#include "sylkcore/hub/subscription.hpp"
#include "xmpp_settings.hpp"

namespace sylk::xmpp {

// Reports to Janus's event handlers (docs/events.md), as the plugin provides them: the event is
// built only when wanted() (someone listens), then handed to report().
struct MucEvents {
    std::function<bool()> wanted;
    std::function<void(Json)> report;

    template <class Build>
    void notify(Build&& build) const {
        if (wanted && report && wanted())
            report(build());
    }
};

class MucRoom : public hub::RoomListener, public std::enable_shared_from_this<MucRoom> {
public:
    static constexpr char kPackage[] = "janus.plugin.sylk.xmpp";

    MucRoom(std::string name, std::string jid, const XmppSettings& settings, ComponentLink& link,
            const ServerMulticast& multicast,
            net::StackThread& thread, const MucEvents& events);
    ~MucRoom() override;

    // Opens the hub room, listens to it and learns its members (after construction).
    void start();
    const std::string& name() const { return name_; }
    const std::string& jid() const { return jid_; }
    // No occupant and no join waiting: the service may drop the room.
    bool empty() const { return occupants_.empty() && heldJoins_.empty(); }
    // A join of user's waits for its nickname (holdJoin).
    bool holdsJoinOf(const Jid& user) const;
    size_t occupantCount() const { return occupants_.size(); }
    bool isOccupant(const Jid& user) const { return occupants_.count(user.full()) != 0; }
    // The password user joined with, if it is an occupant.
    std::optional<std::string> pinOf(const Jid& user) const {
        auto it = occupants_.find(user.full());
        return it == occupants_.end() ? std::nullopt : std::optional<std::string>(it->second.pin);
    }
    // The user's nickname in the room, "" if it is not an occupant.
    std::string nickOf(const Jid& user) const {
        auto it = occupants_.find(user.full());
        return it == occupants_.end() ? "" : it->second.nick;
    }

    // A presence from user to room/nick (available). memberId is used if it is a new occupant.
    // mayWait: a nickname another node's XMPP occupant holds may be waited for (holdJoin).
    void presence(const gloox::Tag& stanza, const Jid& user, const std::string& nick, const PresenceRead& read,
                  const std::string& memberId, bool mayWait = true);
    // An unavailable presence (or a presence error bounce): the occupant leaves.
    void leave(const Jid& user);
    // A muc#admin iq set to the room from user: a kick (role none) by a moderator, answered here.
    void admin(const gloox::Tag& stanza, const Jid& user, const AdminRead& read);
    // Called (on the stack thread) when hub events (a kick) leave the room without occupants.
    void onEmptied(std::function<void(const std::string& room)> emptied) { emptied_ = std::move(emptied); }
    // A message to the room (nick empty) or to room/nick.
    void message(const gloox::Tag& stanza, const StanzaHeader& header, const MessageRead& read);
    // The link went: every XMPP occupant leaves the hub room, without stanzas (the server has
    // gone; the users join again with a new presence).
    void evictAll();

    Json status() const;
    void onRoomEvent(const hub::RoomEvent& event) override;

private:
    struct Occupant {
        Jid jid;
        std::string nick;
        std::string memberId;
        bool moderator = false;  // bare JID in settings.moderators
        std::string pin;         // the password it joined with (never logged): its Jingle call's PIN
        // The room's last event when the joiner got its history: groupchat numbered at or
        // below it was posted before the join (replayed, or older than what was asked for).
        uint64_t historyThrough = 0;
    };

    void handle(const hub::RoomEvent& event);
    void rosterChanged(const hub::RoomEvent& event);
    void deliverChat(const hub::RoomEvent& event);
    void deliverComposing(const hub::RoomEvent& event);
    // The room's state for a joiner: presences, its own last, the history it asked for, the subject.
    // Returns the history snapshot's `through` (hub::Room::HistorySnapshot).
    uint64_t sendRoomState(const Occupant& joiner, size_t historyMax, int64_t historySinceMs = 0);
    void sendPresence(const std::string& nick, const Occupant& to, bool available, std::vector<int> codes = {});
    // nick's presence to every occupant but skipMember's (a join's, a leave's: the same stanza
    // for all, so it goes out as one fan-out, sendToOccupants).
    void broadcastPresence(const std::string& nick, bool available, const std::string& skipMember = "");
    // A member's role as XMPP shows it: moderator when the hub says it moderates.
    std::string roleOf(const std::string& memberId) const;
    void changeNick(const gloox::Tag& stanza, Occupant& occupant, const std::string& nick);
    // XEP-0045 §7.6 to every occupant: old's unavailable with 303 and the new nick, then the new
    // nick's presence (with 110 to the member itself when it is an occupant).
    void announceNickChange(const std::string& memberId, const std::string& old, const std::string& nick);
    void joinHub(const Occupant& occupant);
    // A join whose nickname is held by another node's XMPP occupant: in a cluster whose nodes
    // share the component domains (docs/cluster.md, "XMPP in a cluster") that is the ghost of
    // an occupant of a node that died, which the joiner usually is, back through the node that
    // took the domain over. The join waits (settings_.ghostNickWait) for that member to leave
    // the hub room, then goes on; else 409 as any taken nickname.
    void holdJoin(const gloox::Tag& stanza, const Jid& user, const std::string& nick, const PresenceRead& read,
                  const std::string& memberId);
    void releaseHeldJoins(const std::string& nick);
    // A hub `kick` of one of our occupants by a moderator: it leaves with 307.
    void kicked(const hub::RoomEvent& event);
    Occupant* occupantByMember(const std::string& memberId);
    std::string nickJid(const std::string& nick) const { return jid_ + "/" + nick; }
    // The nickname a hub event's sender shows as: its roster nickname, else its display.
    std::string senderNick(const hub::RoomEvent& event, const std::string& display) const;
    void groupchat(const gloox::Tag& stanza, const Occupant& from, const MessageRead& read);
    void privateMessage(const gloox::Tag& stanza, const Occupant& from, const std::string& toNick,
                        const MessageRead& read);
    // XEP-0045 §7.8.2: to an XMPP user, the room's invitation; to a SIP user (a JID of the
    // sip domain, user\40host@sip.<domain>): an event on the handles of that account's web
    // users of the SIP gateway if it has any (hub service sip.gateway.invite), else a
    // moderator's invitation becomes the SIP focus calling that user into the room (hub
    // service sip.focus.invite).
    void invite(const gloox::Tag& stanza, const Occupant& from, const MessageRead& read);
    // The SIP URI a JID of the sip domain names ("sip:" alone when it names none).
    std::string sipUserOf(const Jid& invitee) const;
    // false when the invitation was refused with a stanza error (sent).
    bool inviteSipUser(const gloox::Tag& stanza, const Occupant& from, const std::string& uri,
                       const std::string& reason);
    void send(TagPtr stanza) { link_.send(std::move(stanza)); }
    // Sends one stanza (built without `to`) to every occupant but `skipMember`'s, serialised
    // once: as XEP-0033 multicast stanzas when the server makes the copies (multicast_), else
    // the copies in one write; returns how many occupants it was sent to.
    // sequence: a hub chat's, skipped for occupants whose history went through it.
    size_t sendToOccupants(const gloox::Tag& unaddressed, const std::string& skipMember = "", uint64_t sequence = 0);
    // An event handler report about an occupant: {"event", "room", "nick", "member", "jid"}.
    Json occupantEvent(const char* what, const Occupant& occupant) const;

    const std::string name_;
    const std::string jid_;
    const XmppSettings& settings_;
    ComponentLink& link_;
    const ServerMulticast& multicast_;
    net::StackThread& thread_;
    const MucEvents& events_;
    std::shared_ptr<hub::Room> hubRoom_;
    hub::Subscription subscription_;
    OccupantNicks nicks_;
    std::map<std::string, Occupant> occupants_;   // by full JID
    struct HeldJoin {
        std::unique_ptr<gloox::Tag> stanza;
        Jid user;
        std::string nick;
        PresenceRead read;
        std::string memberId;
        net::SourceHandle timeout;
    };
    std::vector<std::unique_ptr<HeldJoin>> heldJoins_;
    uint64_t joinsHeld_ = 0;
    std::set<std::string> moderatorMembers_;      // our occupants that moderate, by member id
    // Other plugins' members a moderator kicked, until their `left`: (actor nick, reason), so
    // that XMPP shows their leaving as a kick (307). Bounded: a target that never leaves.
    std::map<std::string, std::pair<std::string, std::string>> kickedOthers_;
    std::map<std::string, std::string> origins_;  // hub message id -> the sender's stanza id
    uint64_t messagesIn_ = 0;
    uint64_t messagesOut_ = 0;
    uint64_t kicks_ = 0;  // occupants removed by a moderator
    std::function<void(const std::string&)> emptied_;
};

}  // namespace sylk::xmpp
