// Room ownership leases and the node registry (sylkcore/cluster) against a real nats-server
// with JetStream, which the test starts itself on a free loopback port with its own store and
// stops by its PID. Two RoomLeases with different node ids play two cluster nodes; a fake
// clock walks a lease to its local deadline without waiting for it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "nats_test_group.hpp"
// Last: cmocka defines fail(), which the standard headers declare.
#include "cmocka_cpp.hpp"
#include "sylkcore/cluster/kv_bucket.hpp"
#include "sylkcore/cluster/lease_record.hpp"
#include "sylkcore/cluster/nats_connection.hpp"
#include "sylkcore/cluster/node_registry.hpp"
#include "sylkcore/cluster/room_subject.hpp"
#include "sylkcore/cluster/room_leases.hpp"
#include "sylkcore/cluster/room_phones.hpp"
#include "sylkcore/hub/hub.hpp"
#include "plugins/cluster/cluster_node.hpp"

using namespace std::chrono_literals;
using sylk::cluster::KvBucket;
using sylk::cluster::LeaseClock;
using sylk::cluster::LeaseRecord;
using sylk::cluster::NatsConnection;
using sylk::cluster::NodeRecord;
using sylk::cluster::NodeRegistry;
using sylk::cluster::RoomLeases;
using sylk::cluster::RoomPhones;
using sylk::cluster::RoomSubject;
using sylk::cluster::ClusterNode;
using sylk::cluster::ClusterSettings;

namespace {


class FakeClock : public LeaseClock {
public:
    TimePoint now() const override { return now_; }
    void advance(std::chrono::milliseconds by) { now_ += by; }

private:
    TimePoint now_ = std::chrono::steady_clock::now();
};

// One node: its connection, its view of the rooms bucket, its leases.
struct Node {
    Node(const std::string& url, const std::string& id, std::chrono::milliseconds lease,
         const LeaseClock& clock = LeaseClock::steady())
        : connection({url, id, 300ms, 500ms}, nullptr),
          // one bucket per lease length: a bucket's TTL is set once, by whoever makes it
          bucket(connection.jetStream(), "rooms_" + std::to_string(lease.count()), lease),
          leases(bucket, {id, lease, lease / 10}, clock) {}
    NatsConnection connection;
    KvBucket bucket;
    RoomLeases leases;
};

using nats_test::server;
int bucketCount = 0;

// Each test uses its own room names, so the shared bucket never carries one test into another.
std::string room(const char* name) { return std::string(name) + ".sales@example.com " + std::to_string(++bucketCount); }

}  // namespace

static void room_names_become_keys_one_to_one(void**) {
    assert_string_equal(RoomSubject::token("team-1_a").c_str(), "team-1_a");
    assert_string_equal(RoomSubject::token("a.b c").c_str(), "a=2Eb=20c");
    assert_string_equal(RoomSubject::token("=").c_str(), "=3D");
    assert_string_equal(RoomSubject::token("*>").c_str(), "=2A=3E");
    assert_string_equal(RoomSubject::token("\xc3\xa9").c_str(), "=C3=A9");
    assert_true(RoomSubject::token("a=2E") != RoomSubject::token("a."));
}

static void lease_records_refuse_what_no_node_wrote(void**) {
    auto record = LeaseRecord::decode(LeaseRecord{"n1", 42}.encode());
    assert_true(record.has_value());
    assert_string_equal(record->node.c_str(), "n1");
    assert_int_equal(record->since, 42);
    assert_false(LeaseRecord::decode("").has_value());
    assert_false(LeaseRecord::decode("[1]").has_value());
    assert_false(LeaseRecord::decode("{\"node\":5}").has_value());
    assert_false(LeaseRecord::decode("{\"node\":\"\"}").has_value());
    assert_false(NodeRecord::decode("{\"node\":\"n\",\"ws_url\":3}").has_value());
    assert_true(NodeRecord::decode("{\"node\":\"n\"}").has_value());
}

static void one_claim_wins_renewals_hold_release_frees(void**) {
    Node a(server()->url(), "node-a", 3000ms);
    Node b(server()->url(), "node-b", 3000ms);
    std::string name = room("claim");
    assert_true(a.leases.claim(name));
    assert_true(a.leases.claim(name));  // already ours
    assert_false(b.leases.claim(name));
    RoomLeases::Lookup seen = b.leases.ownerOf(name);
    assert_true(seen.reachable);
    assert_true(seen.owner.has_value());
    assert_string_equal(seen.owner->node.c_str(), "node-a");
    assert_false(seen.owner->local);
    assert_true(a.leases.ownerOf(name).owner->local);
    for (int i = 0; i < 3; ++i)
        assert_true(a.leases.renewAll().empty());
    assert_true(a.leases.ownsNow(name));
    a.leases.release(name);
    assert_false(a.leases.ownsNow(name));
    assert_true(b.leases.ownerOf(name).reachable);
    assert_false(b.leases.ownerOf(name).owner.has_value());
    assert_true(b.leases.claim(name));  // at once, over the delete marker
    assert_false(a.leases.claim(name));
}

static void a_wrong_revision_loses_the_room_at_once(void**) {
    Node a(server()->url(), "node-a", 3000ms);
    Node b(server()->url(), "node-b", 3000ms);
    std::string name = room("lost");
    assert_true(a.leases.claim(name));
    // Somebody else writes the key (an operator, a node with a bug): our revision is stale.
    assert_true(b.bucket.put(RoomSubject::token(name), LeaseRecord{"node-b", 1}.encode()).outcome == KvBucket::Outcome::Done);
    std::vector<std::string> lost = a.leases.renewAll();
    assert_int_equal(lost.size(), 1);
    assert_string_equal(lost[0].c_str(), name.c_str());
    assert_false(a.leases.ownsNow(name));
    assert_string_equal(a.leases.ownerOf(name).owner->node.c_str(), "node-b");
    // A release now must not delete the other node's entry.
    a.leases.release(name);
    assert_string_equal(b.leases.ownerOf(name).owner->node.c_str(), "node-b");
}

static void an_unrenewed_lease_expires_and_another_node_takes_over(void**) {
    const auto lease = 1000ms;
    Node a(server()->url(), "node-a", lease);
    Node b(server()->url(), "node-b", lease);
    std::string name = room("expire");
    auto claimed = std::chrono::steady_clock::now();
    assert_true(a.leases.claim(name));
    // a stops renewing (as if killed); b tries every 50 ms, as its lease loop would more slowly.
    while (!b.leases.claim(name)) {
        assert_true(std::chrono::steady_clock::now() - claimed < lease + 3s);
        std::this_thread::sleep_for(50ms);  // the retry period under test, not a wait for an effect
    }
    auto takenAfter = std::chrono::steady_clock::now() - claimed;
    // Never before the entry's TTL; a gave up locally before that.
    assert_true(takenAfter >= lease);
    assert_false(a.leases.ownsNow(name));
    assert_true(b.leases.ownsNow(name));
    // a's renewal now hits b's revision: lost, and it stays lost.
    assert_int_equal(a.leases.renewAll().size(), 1);
    assert_true(a.leases.renewAll().empty());  // told once, then forgotten
    assert_false(a.leases.claim(name));
    fprintf(stderr, "# taken over %lld ms after the claim (lease %lld ms)\n",
            static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(takenAfter).count()),
            static_cast<long long>(lease.count()));
}

static void the_local_deadline_counts_from_the_last_renewal_sent(void**) {
    FakeClock clock;
    const auto lease = 5000ms;
    const auto margin = lease / 10;
    Node a(server()->url(), "node-a", lease, clock);
    std::string name = room("deadline");
    assert_true(a.leases.claim(name));
    clock.advance(lease - margin - 1ms);
    assert_true(a.leases.ownsNow(name));
    assert_true(a.leases.renewAll().empty());  // sent now: a new deadline from here
    clock.advance(lease - margin - 1ms);
    assert_true(a.leases.ownsNow(name));
    clock.advance(2ms);
    assert_false(a.leases.ownsNow(name));
    assert_true(a.leases.ownedRooms().empty());
    assert_false(a.leases.ownerOf(name).owner->local);  // the entry still names us, but we do not serve it
    // The entry is still ours in NATS (real time has hardly moved): a claim takes it back with
    // compare-and-set, and the lease holds again from this send.
    assert_true(a.leases.claim(name));
    assert_true(a.leases.ownsNow(name));
}

static void without_nats_a_lease_holds_until_its_deadline_then_ends(void**) {
    FakeClock clock;
    const auto lease = 5000ms;
    Node a(server()->url(), "node-a", lease, clock);
    std::string name = room("partition");
    assert_true(a.leases.claim(name));
    server()->stop();
    clock.advance(lease / 3);
    assert_true(a.leases.renewAll().empty());  // unreachable: not lost yet
    assert_true(a.leases.ownsNow(name));
    assert_true(a.leases.ownerOf(name).owner->local);  // our own lease answers without NATS
    clock.advance(lease - lease / 3 - lease / 10);
    assert_false(a.leases.ownsNow(name));  // given up before the entry could expire
    std::vector<std::string> lost = a.leases.renewAll();
    assert_int_equal(lost.size(), 1);
    server()->start();
}

static void the_registry_lists_live_nodes(void**) {
    NatsConnection connection({server()->url(), "registry", 1000ms, 500ms}, nullptr);
    KvBucket bucket(connection.jetStream(), NodeRegistry::kBucket, 3000ms);
    NodeRegistry one(bucket, NodeRecord{"reg-1", "ws://one/", "sip:one", "http://one/", 1});
    NodeRegistry two(bucket, NodeRecord{"reg-2", "ws://two/", "", "", 2});
    assert_true(one.announce());
    assert_true(two.announce());
    auto nodes = one.nodes();
    assert_true(nodes.has_value());
    int found = 0;
    for (const NodeRecord& node : *nodes)
        found += node.node == "reg-1" || node.node == "reg-2";
    assert_int_equal(found, 2);
    assert_string_equal(two.find("reg-1")->wsUrl.c_str(), "ws://one/");
    one.withdraw();
    assert_false(two.find("reg-1").has_value());
    assert_false(NodeRegistry::validNodeId("a.b"));
    assert_false(NodeRegistry::validNodeId(""));
    assert_true(NodeRegistry::validNodeId("node-1_x"));

    // A node configured with another lease cannot use the bucket: its leases would outlive the
    // entries (two owners) or lapse before them.
    bool refused = false;
    try {
        KvBucket other(connection.jetStream(), NodeRegistry::kBucket, 5000ms);
    } catch (const std::runtime_error& error) {
        refused = std::string(error.what()).find("same lease_ms") != std::string::npos;
    }
    assert_true(refused);
}

// The phones of a node's rooms: written when they change, listed by node (room names with
// dots and spaces come back as they were), removed when the room ends there or when they were
// called back; a record that is not a roster of its node is skipped.
static void phones_are_recorded_per_node_and_room(void**) {
    NatsConnection connection({server()->url(), "phones", 1000ms, 500ms}, nullptr);
    KvBucket bucket(connection.jetStream(), RoomPhones::kBucket, std::chrono::hours(1));
    RoomPhones one(bucket, "ph-1");
    RoomPhones two(bucket, "ph-2");
    sylk::hub::Member phone;
    phone.id = "janus.plugin.sylk.audiomixer/9";
    phone.display = "Phone";
    phone.plugin = "janus.plugin.sylk.audiomixer";
    phone.callBack = "sip:phone@127.0.0.1:5166";
    const std::string sales = "sales.team room", other = "other";
    assert_true(one.publish(sales, {phone}, 60s));
    assert_true(one.publish(other, {phone}, 60s));
    assert_true(two.publish(sales, {phone}, 60s));  // a record per node: two nodes never share a key
    uint64_t revision = bucket.get(RoomPhones::key("ph-1", sales)).entry->revision;
    assert_true(one.publish(sales, {phone}, 60s));  // unchanged: not written again
    assert_int_equal(bucket.get(RoomPhones::key("ph-1", sales)).entry->revision, revision);
    auto ofOne = two.ofNode("ph-1");
    assert_true(ofOne.has_value());
    assert_int_equal(ofOne->size(), 2);
    assert_string_equal((*ofOne)[sales].at(0).callBack.c_str(), "sip:phone@127.0.0.1:5166");
    assert_string_equal((*ofOne)[sales].at(0).display.c_str(), "Phone");
    one.keepOnly({sales});  // `other` ended on ph-1
    assert_int_equal(two.ofNode("ph-1")->size(), 1);
    two.forget("ph-1", sales);  // called back by ph-2
    assert_true(two.ofNode("ph-1")->empty());
    assert_int_equal(one.ofNode("ph-2")->size(), 1);  // ph-2's own record stays
    assert_true(two.publish(sales, {}, 60s));         // no phones any more: removed
    assert_true(one.ofNode("ph-2")->empty());
    bucket.put(RoomPhones::key("ph-3", "x"), "{\"v\":1,\"type\":\"roster\",\"node\":\"ph-4\",\"members\":[]}");
    bucket.put(RoomPhones::key("ph-3", "y"), "not json");
    assert_true(one.ofNode("ph-3")->empty());  // neither is ph-3's roster: skipped
}

static void a_node_claims_a_room_it_is_asked_about_only_with_members_here(void**) {
    ClusterSettings settings;
    settings.nats = server()->url();
    settings.node = "node-x";
    settings.lease = 3000ms;
    ClusterNode node(settings);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!node.openStores()) {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(20ms);  // the background connect, polled
    }
    std::string name = room("asked");
    sylk::Json value = sylk::Json::adopt(json_string(name.c_str()));
    assert_true(json_is_null(node.owner(name, value).member("node")));  // no hub room at all
    auto hubRoom = sylk::hub::Hub::instance().open(name);
    // A member another node's bridge re-posted here is not a member of this node.
    hubRoom->join(sylk::hub::Member{"janus.plugin.sylk.cluster/node-y/7", "Remote", "janus.plugin.sylk.cluster"});
    assert_false(ClusterNode::hasLocalMembers(name));
    assert_true(json_is_null(node.owner(name, value).member("node")));
    hubRoom->join(sylk::hub::Member{"42", "Local", "janus.plugin.sylk.videoroom"});
    assert_true(ClusterNode::hasLocalMembers(name));
    sylk::Json answer = node.owner(name, value);
    assert_string_equal(json_string_value(answer.member("node")), "node-x");
    assert_true(json_is_true(answer.member("local")));
    assert_string_equal(json_string_value(answer.member("room")), name.c_str());
    assert_true(node.ownedRooms() == std::vector<std::string>{name});
    node.leave();
    assert_true(node.ownedRooms().empty());
    hubRoom->leave("42");
    hubRoom->leave("janus.plugin.sylk.cluster/node-y/7");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(room_names_become_keys_one_to_one),
        cmocka_unit_test(lease_records_refuse_what_no_node_wrote),
        cmocka_unit_test(one_claim_wins_renewals_hold_release_frees),
        cmocka_unit_test(a_wrong_revision_loses_the_room_at_once),
        cmocka_unit_test(an_unrenewed_lease_expires_and_another_node_takes_over),
        cmocka_unit_test(the_local_deadline_counts_from_the_last_renewal_sent),
        cmocka_unit_test(without_nats_a_lease_holds_until_its_deadline_then_ends),
        cmocka_unit_test(the_registry_lists_live_nodes),
        cmocka_unit_test(a_node_claims_a_room_it_is_asked_about_only_with_members_here),
        cmocka_unit_test(phones_are_recorded_per_node_and_room),
    };
    return cmocka_run_group_tests(tests, nats_test::startServer, nats_test::stopServer);
}
