// The name of every hub service (hub::Services), in one place, as events.hpp has every event
// kind: the plugin that offers a service and every plugin that calls it name it from here, so a
// misspelt name does not compile instead of failing as "no such service" at run time. Grouped by
// the plugin that offers them; what each takes and answers is documented where it is offered.
// A `.remote.` service is called on another node through cluster.call or cluster.send
// (docs/cluster.md, "Calls between nodes").
#pragma once

namespace sylk::hub::service {

// janus.plugin.sylk.audiomixer (audiomixer_plugin.cpp, audiomixer_bridge.cpp, audiomixer_legs.cpp)
inline constexpr char AudioMixerAdmit[] = "audiomixer.admit";              // may this member join (room PINs)
inline constexpr char AudioMixerAttachRtp[] = "audiomixer.attach_rtp";     // a plain RTP leg into a room's mix
inline constexpr char AudioMixerUpdateRtp[] = "audiomixer.update_rtp";
inline constexpr char AudioMixerDetachRtp[] = "audiomixer.detach_rtp";
inline constexpr char AudioMixerBridgeOpen[] = "audiomixer.bridge.open";   // the video room's audio bridge
inline constexpr char AudioMixerBridgeCheck[] = "audiomixer.bridge.check";
inline constexpr char AudioMixerBridgeAddFeed[] = "audiomixer.bridge.add_feed";
inline constexpr char AudioMixerBridgeRemoveFeed[] = "audiomixer.bridge.remove_feed";
inline constexpr char AudioMixerBridgeClose[] = "audiomixer.bridge.close";
inline constexpr char AudioMixerRemoteAttach[] = "audiomixer.remote.attach";  // a leg between nodes' mixes
inline constexpr char AudioMixerRemoteDetach[] = "audiomixer.remote.detach";

// janus.plugin.sylk.cluster (cluster_plugin.cpp)
inline constexpr char ClusterOwner[] = "cluster.owner";                  // which node owns a room or account
inline constexpr char ClusterAccountEvent[] = "cluster.account_event";   // a gateway account's event, to the other nodes
inline constexpr char ClusterSelf[] = "cluster.self";                    // this node's id and media address
inline constexpr char ClusterCall[] = "cluster.call";                    // a `.remote.` service of another node, answered
inline constexpr char ClusterSend[] = "cluster.send";                    // the same, one way
inline constexpr char ClusterRoomNodes[] = "cluster.room_nodes";         // the other nodes in a room

// janus.plugin.sylk.msrp (msrp_plugin.cpp)
inline constexpr char MsrpOpenSession[] = "msrp.open_session";
inline constexpr char MsrpSetRemote[] = "msrp.set_remote";
inline constexpr char MsrpCloseSession[] = "msrp.close_session";

// janus.plugin.sylk.sip (sip_plugin.cpp)
inline constexpr char SipAccountEvent[] = "sip.account_event";
inline constexpr char SipFocusInvite[] = "sip.focus.invite";       // the conference focus dials a phone into a room
inline constexpr char SipGatewayInvite[] = "sip.gateway.invite";
inline constexpr char SipStoxAnswer[] = "sip.stox.answer";         // SIP <-> XMPP interworking, the SIP side
inline constexpr char SipStoxMessage[] = "sip.stox.message";
inline constexpr char SipStoxPresence[] = "sip.stox.presence";
inline constexpr char SipStoxSessions[] = "sip.stox.sessions";
inline constexpr char SipStoxSubscribe[] = "sip.stox.subscribe";

// janus.plugin.sylk.videoroom (videoroom_plugin.cpp, videoroom_cluster.cpp)
inline constexpr char VideoRoomAdmit[] = "videoroom.admit";
inline constexpr char VideoRoomDialProgress[] = "videoroom.dial_progress";
inline constexpr char VideoRoomRemoteRelay[] = "videoroom.remote.relay";      // relays between nodes
inline constexpr char VideoRoomRemoteFeed[] = "videoroom.remote.feed";
inline constexpr char VideoRoomRemoteStop[] = "videoroom.remote.stop";
inline constexpr char VideoRoomRemoteRefused[] = "videoroom.remote.refused";
inline constexpr char VideoRoomRemoteKeyframe[] = "videoroom.remote.keyframe";

// janus.plugin.sylk.xmpp (xmpp_plugin.cpp)
inline constexpr char XmppStoxAnswer[] = "xmpp.stox.answer";       // SIP <-> XMPP interworking, the XMPP side
inline constexpr char XmppStoxMessage[] = "xmpp.stox.message";
inline constexpr char XmppStoxPresence[] = "xmpp.stox.presence";
inline constexpr char XmppStoxSubscribe[] = "xmpp.stox.subscribe";

}  // namespace sylk::hub::service
