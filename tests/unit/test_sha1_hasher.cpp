// Sha1Hasher (sylkcore/files): the FIPS 180 test vectors, fed whole and in pieces, agree with
// GLib's GChecksum (what the file store computed before) on a larger input.
#include <glib.h>

#include <string>

#include "sylkcore/files/sha1_hasher.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using sylk::files::Sha1Hasher;

static void known_vectors(void**) {
    Sha1Hasher empty;
    assert_string_equal(empty.hex().c_str(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    Sha1Hasher abc;
    abc.update("abc");
    assert_string_equal(abc.hex().c_str(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    Sha1Hasher pieces;  // "abcdbcdecdef...nopq" (FIPS 180-2 example 2), one byte at a time
    std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    for (char c : text)
        pieces.update(std::string_view(&c, 1));
    assert_string_equal(pieces.hex().c_str(), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void agrees_with_gchecksum(void**) {
    std::string data;
    for (int i = 0; i < 300000; ++i)
        data += static_cast<char>((i * 7919) & 0xff);
    Sha1Hasher ours;
    for (size_t offset = 0; offset < data.size(); offset += 65536)
        ours.update(std::string_view(data).substr(offset, 65536));
    gchar* theirs = g_compute_checksum_for_data(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(data.data()), data.size());
    assert_string_equal(ours.hex().c_str(), theirs);
    g_free(theirs);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(agrees_with_gchecksum),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
