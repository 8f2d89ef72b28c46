// The credential vault of kept registrations: records come back as saved, the server key file
// is made 0600, the secret is not in any file in the clear, and a record that was tampered with,
// moved to another account's name or sealed under another key does not open.
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sylkcore/store/credential_vault.hpp"
#include "temp_folder.hpp"

// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using sylk::store::CredentialVault;
using sylk::store::CredentialVaultError;

namespace {

std::vector<std::string> files(const std::string& dir) {
    std::vector<std::string> names;
    GDir* handle = g_dir_open(dir.c_str(), 0, nullptr);
    while (const gchar* name = handle ? g_dir_read_name(handle) : nullptr)
        names.push_back(dir + "/" + name);
    if (handle)
        g_dir_close(handle);
    return names;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void spit(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
}

const std::string kRecord = R"({"aor":"sip:alice@example.com","secret":"Very-Secret-42"})";

void records_round_trip_sealed(void**) {
    sylk::test::TempFolder folder("sylk-vault-");
    const std::string& base = folder.path();
    std::string key = base + "/server.key";
    {
        CredentialVault vault(base + "/kept", key);
        vault.save("sip:alice@example.com", kRecord);
        vault.save("sip:bob@example.com", "bob's");
        assert_true(vault.contains("sip:alice@example.com"));
    }
    struct stat info {};
    assert_int_equal(stat(key.c_str(), &info), 0);
    assert_int_equal(info.st_mode & 0777, 0600);
    assert_int_equal(info.st_size, 32);
    for (const auto& path : files(base + "/kept"))
        assert_true(slurp(path).find("Very-Secret-42") == std::string::npos);
    CredentialVault again(base + "/kept", key);  // the same key, read back
    auto records = again.loadAll();
    std::sort(records.begin(), records.end());
    assert_int_equal(records.size(), 2);
    assert_string_equal(records[0].c_str(), "bob's");
    assert_string_equal(records[1].c_str(), kRecord.c_str());
    assert_true(again.remove("sip:bob@example.com"));
    assert_false(again.remove("sip:bob@example.com"));
    assert_int_equal(again.loadAll().size(), 1);
}

void tampered_moved_or_foreign_records_do_not_open(void**) {
    sylk::test::TempFolder folder("sylk-vault-");
    const std::string& base = folder.path();
    CredentialVault vault(base + "/kept", base + "/server.key");
    vault.save("sip:alice@example.com", kRecord);
    std::string path = files(base + "/kept")[0];
    std::string sealed = slurp(path);
    // One bit flipped in the ciphertext.
    std::string flipped = sealed;
    flipped[flipped.size() / 2] ^= 1;
    spit(path, flipped);
    std::vector<std::string> skipped;
    assert_int_equal(vault.loadAll(&skipped).size(), 0);
    assert_int_equal(skipped.size(), 1);
    // The intact record under another account's file name (bound as additional data).
    g_unlink(path.c_str());
    spit(base + "/kept/0000.cred", sealed);
    assert_int_equal(vault.loadAll().size(), 0);
    // Truncated, and sealed under another key.
    spit(base + "/kept/0000.cred", sealed.substr(0, 10));
    assert_int_equal(vault.loadAll().size(), 0);
    g_unlink((base + "/kept/0000.cred").c_str());
    vault.save("sip:alice@example.com", kRecord);
    CredentialVault other(base + "/kept", base + "/other.key");
    assert_int_equal(other.loadAll().size(), 0);
    assert_int_equal(vault.loadAll().size(), 1);
}

void a_bad_key_file_is_refused(void**) {
    sylk::test::TempFolder folder("sylk-vault-");
    const std::string& base = folder.path();
    spit(base + "/short.key", "too short");
    bool refused = false;
    try {
        CredentialVault vault(base + "/kept", base + "/short.key");
    } catch (const CredentialVaultError& e) {
        refused = std::string(e.what()).find("32 bytes") != std::string::npos;
    }
    assert_true(refused);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_round_trip_sealed),
        cmocka_unit_test(tampered_moved_or_foreign_records_do_not_open),
        cmocka_unit_test(a_bad_key_file_is_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
