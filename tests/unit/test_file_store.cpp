#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "sylkcore/buffer_pool.hpp"
#include "sylkcore/files/background_writer.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/files/incoming_file.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using sylk::files::FileRefused;
using sylk::files::FileStore;
using sylk::files::IncomingFile;
using sylk::files::SharedFile;

static void names_are_plain(void**) {
    for (const char* good : {"report.pdf", "résumé 2026.txt", "a", ".hidden", "x..y"})
        assert_true(FileStore::validName(good));
    for (const char* bad : {"", ".", "..", "../../etc/passwd", "a/b", "a\\b", "tab\there", "\x7f"})
        assert_false(FileStore::validName(bad));
    assert_false(FileStore::validName(std::string("a\0b", 3)));
    assert_false(FileStore::validName(std::string(256, 'x')));
    assert_false(FileStore::validName("\xff\xfe"));  // not UTF-8
}

static void tokens_and_paths(void**) {
    char templ[] = "/tmp/sylk-files-XXXXXX";
    std::string root = g_mkdtemp(templ);
    auto& store = FileStore::instance();
    store.configure(root, 1000);
    assert_true(store.enabled());
    std::string token = store.grant("room@x", "member/1", "Ann");
    assert_true(token.size() >= 32);
    auto grant = store.check(token);
    assert_true(grant.has_value());
    assert_string_equal(grant->room.c_str(), "room@x");
    assert_false(store.check("other").has_value());
    std::string id;
    std::string path = store.reservePath("../../etc", &id);
    // The room name never becomes a path: its digest does.
    assert_true(path.rfind(root + "/", 0) == 0);
    assert_null(strstr(path.c_str(), ".."));
    store.revoke(token);
    assert_false(store.check(token).has_value());
    store.removeRoom("../../etc");
    std::string command = "rm -rf '" + root + "'";
    assert_int_equal(system(command.c_str()), 0);
}

namespace {

std::string makeRoot() {
    char templ[] = "/tmp/sylk-files-XXXXXX";
    return g_mkdtemp(templ);
}

void removeRoot(const std::string& root) {
    std::string command = "rm -rf '" + root + "'";
    assert_int_equal(system(command.c_str()), 0);
}

std::string sha1(const std::string& bytes) {
    gchar* digest = g_compute_checksum_for_data(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
    std::string out = digest;
    g_free(digest);
    return out;
}

std::string readFile(const std::string& path) {
    gchar* text = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(path.c_str(), &text, &length, nullptr))
        return "<missing>";
    std::string out(text, length);
    g_free(text);
    return out;
}

// Content that differs at every offset, so a piece written at the wrong place shows.
std::string pattern(size_t size) {
    std::string out(size, '\0');
    for (size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
    return out;
}

struct FileEvents : sylk::hub::RoomListener {
    std::mutex mutex;
    std::vector<sylk::hub::RoomEvent> events;
    void onRoomEvent(const sylk::hub::RoomEvent& event) override {
        std::lock_guard lock(mutex);
        if (event.kind == sylk::hub::kind::FileShared)
            events.push_back(event);
    }
};

FileRefused::Reason refusal(const std::function<void()>& action) {
    try {
        action();
    } catch (const FileRefused& refused) {
        return refused.reason();
    }
    fail_msg("no FileRefused");
    return FileRefused::Reason::Io;
}

}  // namespace

// An MSRP file arriving in pieces: written as they come, hashed on the way, listed and
// announced on the hub with its SHA-1 once finished, found by that hash.
static void incoming_file_in_pieces(void**) {
    std::string root = makeRoot();
    auto& store = FileStore::instance();
    store.configure(root, 1 << 20);
    auto hubRoom = sylk::hub::Hub::instance().open("pieces@x");
    auto events = std::make_shared<FileEvents>();
    auto subscription = hubRoom->subscribe(events);

    std::string content = pattern(100000);
    SharedFile shared;
    {
        IncomingFile incoming("pieces@x", "photo.jpg", "janus.plugin.sylk.msrp/1", "Bob", content.size());
        for (size_t at = 0; at < content.size(); at += 2048)
            incoming.write(at, std::string_view(content).substr(at, 2048));
        assert_int_equal(incoming.size(), content.size());
        shared = incoming.finish("janus.plugin.sylk.msrp", "image/jpeg", sha1(content));
    }
    assert_string_equal(shared.sha1.c_str(), sha1(content).c_str());
    assert_true(readFile(shared.path) == content);
    auto listed = store.list("pieces@x");
    assert_int_equal(listed.size(), 1);
    assert_string_equal(listed[0].name.c_str(), "photo.jpg");
    assert_string_equal(listed[0].type.c_str(), "image/jpeg");
    std::string upper = sha1(content);
    for (auto& c : upper)
        c = g_ascii_toupper(c);
    assert_true(store.findBySha1("pieces@x", upper).has_value());
    assert_string_equal(store.findBySha1("pieces@x", sha1(content))->id.c_str(), shared.id.c_str());
    assert_false(store.findBySha1("pieces@x", sha1("other")).has_value());
    assert_false(store.findBySha1("other@x", sha1(content)).has_value());
    assert_false(store.findBySha1("pieces@x", "abc").has_value());
    // The hub event: the same schema the web uploads use, with the hash, posted as the msrp plugin.
    assert_int_equal(events->events.size(), 1);
    assert_string_equal(events->events[0].plugin.c_str(), "janus.plugin.sylk.msrp");
    auto notice = sylk::hub::readFileShared(events->events[0]);
    assert_string_equal(notice.sha1.c_str(), sha1(content).c_str());
    assert_string_equal(notice.from.c_str(), "janus.plugin.sylk.msrp/1");
    assert_int_equal(notice.size, content.size());
    // Pieces out of order end up in place, and the hash is still right.
    IncomingFile shuffled("pieces@x", "b.bin", "m/1", "Bob");
    shuffled.write(50000, std::string_view(content).substr(50000));
    shuffled.write(0, std::string_view(content).substr(0, 50000));
    SharedFile second = shuffled.finish("janus.plugin.sylk.msrp");
    assert_string_equal(second.sha1.c_str(), sha1(content).c_str());
    assert_true(readFile(second.path) == content);
    store.removeRoom("pieces@x");
    assert_false(g_file_test(shared.path.c_str(), G_FILE_TEST_EXISTS));
    sylk::hub::Hub::instance().closeIfIdle("pieces@x");
    removeRoot(root);
}

// The writer thread: pieces past its small bound wait (and all arrive, in place, hashed in
// order); a descriptor that cannot be written to fails the next call with the errno.
static void background_writer(void**) {
    std::string root = makeRoot();
    std::string path = root + "/written.bin";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    std::string content = pattern(300000);
    {
        sylk::files::BackgroundWriter writer(fd, 4096);  // a bound far below the file: write() waits
        for (size_t at = 0; at < content.size(); at += 1000)
            writer.write(at, content.substr(at, 1000));
        assert_string_equal(writer.finish().c_str(), sha1(content).c_str());
        assert_int_equal(writer.queuedBytes(), 0);
    }
    close(fd);
    assert_true(readFile(path) == content);
    {
        int out = open(path.c_str(), O_WRONLY);
        sylk::files::BackgroundWriter outOfOrder(out);
        outOfOrder.write(5, "56789");
        outOfOrder.write(0, "01234");
        assert_string_equal(outOfOrder.finish().c_str(), "");  // not in order: hashed from disk by the owner
        close(out);
    }
    {
        // Megabytes in pieces of an odd size, then pieces out of order: every byte lands in place.
        std::string big = pattern(3 * 1024 * 1024 + 12345);
        std::string bigPath = root + "/big.bin";
        int out = open(bigPath.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(out >= 0);
        sylk::files::BackgroundWriter inOrder(out);
        for (size_t at = 0; at < big.size(); at += 65599)  // pieces that never align with a stage
            inOrder.write(at, big.substr(at, 65599));
        assert_string_equal(inOrder.finish().c_str(), sha1(big).c_str());
        close(out);
        assert_true(readFile(bigPath) == big);
        unlink(bigPath.c_str());
        out = open(bigPath.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        sylk::files::BackgroundWriter mixed(out);
        size_t split = 2 * 1024 * 1024 + 777;
        mixed.write(0, big.substr(0, split - 1000));
        mixed.write(split, big.substr(split));
        mixed.write(split - 1000, big.substr(split - 1000, 1000));
        assert_string_equal(mixed.finish().c_str(), "");
        close(out);
        assert_true(readFile(bigPath) == big);
    }
    int readOnly = open(path.c_str(), O_RDONLY);
    bool thrown = false;
    {
        sylk::files::BackgroundWriter failing(readOnly);
        failing.write(0, "cannot go");
        try {
            failing.finish();
        } catch (const std::system_error& e) {
            thrown = e.code().value() == EBADF;
        }
    }
    close(readOnly);
    assert_true(thrown);
    removeRoot(root);
}

// Chunk buffers come back warm: the last one given back that fits, emptied; small and huge ones
// are not kept, nor more than the bound.
static void buffer_pool_recycles(void**) {
    sylk::BufferPool pool;
    std::string chunk(65536 + 20, 'x');
    const char* storage = chunk.data();
    pool.give(std::move(chunk));
    assert_int_equal(pool.kept(), 1);
    std::string again = pool.take(65536 + 20);
    assert_ptr_equal(again.data(), storage);
    assert_true(again.empty());
    assert_true(again.capacity() >= 65536 + 20);
    assert_int_equal(pool.kept(), 0);
    std::string bigger = pool.take(1 << 20);  // none kept that fits: a new one
    assert_true(bigger.capacity() >= (1u << 20));
    pool.give(std::move(bigger));
    std::string tooBig = pool.take(65536);  // not a MiB for a 64 KiB chunk
    assert_true(tooBig.capacity() < (1u << 20));
    assert_int_equal(pool.kept(), 1);
    for (int i = 0; i < 20; ++i)  // 16 MiB in all at most
        pool.give(std::string(1 << 20, 'm'));
    assert_true(pool.kept() <= 16);
    while (pool.kept() > 0)
        pool.take(1 << 20);
    pool.give(std::string(100, 's'));  // too small to keep
    pool.give(std::string(sylk::BufferPool::kMaxCapacity + 1, 'h'));  // too big
    assert_int_equal(pool.kept(), 0);
    for (size_t i = 0; i < sylk::BufferPool::kKeptBuffers + 5; ++i)
        pool.give(std::string(sylk::BufferPool::kMinCapacity, 'b'));
    assert_int_equal(pool.kept(), sylk::BufferPool::kKeptBuffers);
    std::string room = pool.take(sylk::BufferPool::kMinCapacity);  // one fewer kept: again fits in
    pool.give(std::move(again));
    std::string same = pool.take(65536);  // the one that fits (the 16 KiB ones do not)
    assert_ptr_equal(same.data(), storage);
}

// What the store refuses loses nothing else and leaves nothing behind.
static void incoming_file_refusals(void**) {
    std::string root = makeRoot();
    auto& store = FileStore::instance();
    store.configure(root, 1000);
    assert_true(refusal([] { IncomingFile("r@x", "../../etc/passwd", "m/1", "M"); }) == FileRefused::Reason::InvalidName);
    assert_true(refusal([] { IncomingFile("r@x", "a/b", "m/1", "M"); }) == FileRefused::Reason::InvalidName);
    assert_true(refusal([] { IncomingFile("r@x", "big", "m/1", "M", 1001); }) == FileRefused::Reason::TooLarge);
    {
        IncomingFile incoming("r@x", "big", "m/1", "M");
        incoming.write(0, std::string(600, 'a'));
        assert_true(refusal([&] { incoming.write(600, std::string(401, 'a')); }) == FileRefused::Reason::TooLarge);
    }
    {
        IncomingFile announced("r@x", "small", "m/1", "M", 10);
        assert_true(refusal([&] { announced.write(5, std::string(6, 'a')); }) == FileRefused::Reason::TooLarge);
        announced.write(0, "0123");
        // Ending short of the announced size is refused.
        assert_true(refusal([&] { announced.finish("p"); }) == FileRefused::Reason::Io);
    }
    {
        IncomingFile forged("r@x", "forged", "m/1", "M");
        forged.write(0, "not what the hash says");
        assert_true(refusal([&] { forged.finish("p", "", sha1("something else")); }) == FileRefused::Reason::HashMismatch);
    }
    assert_true(store.list("r@x").empty());
    // Nothing but the (empty) room folder is left on disk.
    std::string command = "test -z \"$(find '" + root + "' -type f)\"";
    assert_int_equal(system(command.c_str()), 0);
    // Sharing off: refused before anything is written.
    store.configure("", 0);
    assert_true(refusal([] { IncomingFile("r@x", "a", "m/1", "M"); }) == FileRefused::Reason::Disabled);
    removeRoot(root);
}

// Persistent rooms keep their files across a restart (configure again on the same folder);
// other rooms' folders are gone after it; a room that ends deletes its files unless kept or
// still in use through another plugin.
static void persistent_rooms(void**) {
    std::string root = makeRoot();
    auto& store = FileStore::instance();
    store.configure(root, 1 << 20);
    store.keepRoom("kept@x");
    auto addFile = [&](const std::string& room, const std::string& name, const std::string& content) {
        IncomingFile incoming(room, name, "m/1", "Ann");
        incoming.write(0, content);
        return incoming.finish("test");
    };
    SharedFile kept = addFile("kept@x", "notes.txt", "kept content");
    SharedFile gone = addFile("ephemeral@x", "tmp.txt", "ephemeral content");
    SharedFile keptLater = addFile("late@x", "late.txt", "late content");
    store.keepRoom("late@x");  // marked after its file arrived: kept as well

    store.configure(root, 1 << 20);  // a restart
    auto listed = store.list("kept@x");
    assert_int_equal(listed.size(), 1);
    assert_string_equal(listed[0].name.c_str(), "notes.txt");
    assert_string_equal(listed[0].sha1.c_str(), sha1("kept content").c_str());
    assert_string_equal(listed[0].sender.c_str(), "m/1");
    assert_int_equal(listed[0].size, 12);
    assert_true(store.findBySha1("kept@x", sha1("kept content")).has_value());
    assert_true(readFile(listed[0].path) == "kept content");
    assert_int_equal(store.list("late@x").size(), 1);
    assert_true(store.list("ephemeral@x").empty());
    assert_false(g_file_test(gone.path.c_str(), G_FILE_TEST_EXISTS));

    // Ending is the hub forgetting the room: a kept room keeps its files; another room loses
    // them, but not while the hub room still has a member (a phone in the same room through the
    // mixer) or a holder.
    auto& hub = sylk::hub::Hub::instance();
    { auto keptRoom = hub.open("kept@x"); }
    assert_true(hub.closeIfIdle("kept@x"));
    assert_int_equal(store.list("kept@x").size(), 1);
    SharedFile busy = addFile("busy@x", "b.txt", "busy");
    auto hubRoom = hub.open("busy@x");
    hubRoom->join(sylk::hub::Member{"janus.plugin.sylk.audiomixer/1", "Phone", "janus.plugin.sylk.audiomixer"});
    assert_false(hub.closeIfIdle("busy@x"));
    assert_int_equal(store.list("busy@x").size(), 1);
    hubRoom->leave("janus.plugin.sylk.audiomixer/1");
    assert_false(hub.closeIfIdle("busy@x"));  // still held
    assert_int_equal(store.list("busy@x").size(), 1);
    hubRoom.reset();
    assert_true(hub.closeIfIdle("busy@x"));
    assert_true(store.list("busy@x").empty());
    assert_false(g_file_test(busy.path.c_str(), G_FILE_TEST_EXISTS));

    // A folder under the root that is not a room folder is never touched at start.
    std::string foreign = root + "/not-a-room";
    g_mkdir(foreign.c_str(), 0700);
    store.configure(root, 1 << 20);
    assert_true(g_file_test(foreign.c_str(), G_FILE_TEST_IS_DIR));
    assert_int_equal(store.list("kept@x").size(), 1);
    assert_string_equal(store.list("late@x")[0].id.c_str(), keptLater.id.c_str());
    assert_string_equal(store.list("kept@x")[0].id.c_str(), kept.id.c_str());
    store.removeRoom("kept@x");
    store.removeRoom("late@x");
    removeRoot(root);
}

namespace {

void postChat(sylk::hub::Room& room, const std::string& text, const std::string& to = "") {
    sylk::hub::ChatMessage message;
    message.id = sylk::hub::newMessageId();
    message.display = "Ann";
    message.text = text;
    message.timestamp = 1000;
    message.to = to;
    room.post("janus.plugin.sylk.msrp", "janus.plugin.sylk.msrp/1", sylk::hub::chat(message));
}

std::vector<std::string> historyTexts(sylk::hub::Room& room, size_t max = sylk::hub::Room::kMaxHistory) {
    std::vector<std::string> texts;
    for (const auto& event : room.history(max))
        texts.push_back(sylk::hub::readChat(event).text);
    return texts;
}

size_t lineCount(const std::string& path) {
    std::string text = readFile(path);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

// A kept room's public chat is saved beside its files and comes back when the hub opens the
// room again (a restart: the store configured again, the room reopened); private messages are
// never saved; the file stays bounded; a torn last line is skipped. A room not kept saves
// nothing and its folder goes when the hub forgets it.
static void persistent_history(void**) {
    std::string root = makeRoot();
    auto& store = FileStore::instance();
    store.configure(root, 1 << 20);
    store.keepRoom("talk@x");
    auto& hub = sylk::hub::Hub::instance();
    auto room = hub.open("talk@x");
    for (int i = 0; i < 120; ++i)
        postChat(*room, "message " + std::to_string(i));
    postChat(*room, "a secret", "janus.plugin.sylk.videoroom/2");
    store.flushHistory();
    gchar* digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "talk@x", -1);
    std::string historyFile = root + "/" + digest + "/history.jsonl";
    g_free(digest);
    assert_true(lineCount(historyFile) <= 2 * sylk::hub::Room::kDefaultHistory);
    assert_true(readFile(historyFile).find("a secret") == std::string::npos);
    room.reset();
    assert_true(hub.closeIfIdle("talk@x"));
    assert_true(g_file_test(historyFile.c_str(), G_FILE_TEST_EXISTS));  // kept: nothing deleted

    // A crash mid-write left half a line: skipped.
    FILE* torn = fopen(historyFile.c_str(), "a");
    fputs("{\"plugin\":\"x\",\"mem", torn);
    fclose(torn);
    store.configure(root, 1 << 20);  // a restart
    room = hub.open("talk@x");
    auto texts = historyTexts(*room, sylk::hub::Room::kDefaultHistory);
    assert_int_equal(texts.size(), sylk::hub::Room::kDefaultHistory);
    assert_string_equal(texts.front().c_str(), "message 70");
    assert_string_equal(texts.back().c_str(), "message 119");
    for (const auto& event : room->history())
        assert_string_equal(event.room.c_str(), "talk@x");
    // New messages follow the restored ones, in memory and on disk.
    postChat(*room, "after the restart");
    store.flushHistory();
    room.reset();
    assert_true(hub.closeIfIdle("talk@x"));
    room = hub.open("talk@x");
    assert_string_equal(historyTexts(*room).back().c_str(), "after the restart");
    room.reset();
    hub.closeIfIdle("talk@x");

    // Not kept: no history on disk, and the folder (its files) goes when the hub forgets it.
    auto passing = hub.open("passing@x");
    postChat(*passing, "gone with the room");
    IncomingFile incoming("passing@x", "p.txt", "m/1", "Ann");
    incoming.write(0, "passing");
    SharedFile file = incoming.finish("test");
    store.flushHistory();
    std::string folder = file.path.substr(0, file.path.rfind('/'));
    assert_false(g_file_test((folder + "/history.jsonl").c_str(), G_FILE_TEST_EXISTS));
    passing.reset();
    assert_true(hub.closeIfIdle("passing@x"));
    assert_false(g_file_test(folder.c_str(), G_FILE_TEST_EXISTS));
    store.removeRoom("talk@x");
    removeRoot(root);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_plain),
        cmocka_unit_test(tokens_and_paths),
        cmocka_unit_test(incoming_file_in_pieces),
        cmocka_unit_test(incoming_file_refusals),
        cmocka_unit_test(background_writer),
        cmocka_unit_test(buffer_pool_recycles),
        cmocka_unit_test(persistent_rooms),
        cmocka_unit_test(persistent_history),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
