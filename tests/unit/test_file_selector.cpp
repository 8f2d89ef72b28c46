// RFC 5547 file attributes: the RFC's own examples parse, what we write parses back to the same
// value, and each way of breaking the grammar is refused with a message that names the fault.
#include <string>

#include "cmocka_cpp.hpp"
#include "sylkcore/msrp/file_selector.hpp"

using namespace sylk::msrp;

namespace {

// RFC 5547 section 9.1 (the offerer sends a file), its a=file-selector on one line.
constexpr char kRfcSendSelector[] =
    "name:\"My cool picture.jpg\" type:image/jpeg size:32349 "
    "hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E";

// Expects parse to throw, with `fragment` in the message.
template <typename Parse>
void refuses(Parse parse, const char* fragment) {
    try {
        parse();
    } catch (const FileSelectorError& error) {
        if (std::string(error.what()).find(fragment) == std::string::npos)
            fail_msg("message \"%s\" does not say \"%s\"", error.what(), fragment);
        return;
    }
    fail_msg("accepted input that should say \"%s\"", fragment);
}

void selectorRefuses(const std::string& value, const char* fragment) {
    refuses([&] { FileSelector::parse(value); }, fragment);
}

}  // namespace

static void rfc_send_example(void**) {
    FileSelector selector = FileSelector::parse(kRfcSendSelector);
    assert_true(selector.name.has_value());
    assert_string_equal(selector.name->c_str(), "My cool picture.jpg");
    assert_string_equal(selector.type->c_str(), "image/jpeg");
    assert_true(selector.typeParameters.empty());
    assert_int_equal(*selector.size, 32349);
    assert_non_null(selector.sha1());
    assert_string_equal(selector.sha1()->colonHex().c_str(), "72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E");
    assert_string_equal(selector.sha1()->plainHex().c_str(), "72245fe8653ddaf371362f86d471913ee4a2ce2e");
    // Written back exactly as the RFC writes it.
    assert_string_equal(selector.str().c_str(), kRfcSendSelector);
    assert_string_equal(selector.contentType().c_str(), "image/jpeg");

    assert_string_equal(parseFileTransferId("vBnG916bdberum2fFEABR1FR3ExZMUrd").c_str(), "vBnG916bdberum2fFEABR1FR3ExZMUrd");
    assert_string_equal(parseFileDisposition("attachment").c_str(), "attachment");
    assert_string_equal(parseFileDisposition("Render").c_str(), "render");

    FileDate date = FileDate::parse("creation:\"Mon, 15 May 2006 15:01:31 +0300\"");
    assert_true(date.creation.has_value());
    assert_int_equal(*date.creation, 1147694491);  // 12:01:31 UTC
    assert_false(date.modification.has_value());
    assert_string_equal(date.str().c_str(), "creation:\"Mon, 15 May 2006 12:01:31 +0000\"");

    FileRange range = FileRange::parse("1-32349");
    assert_int_equal(range.start, 1);
    assert_int_equal(*range.stop, 32349);
    assert_string_equal(range.str().c_str(), "1-32349");
}

static void rfc_pull_example(void**) {
    // RFC 5547 section 9.2: the receiver asks for a file by its hash only.
    FileSelector selector = FileSelector::parse("hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E");
    assert_false(selector.name.has_value());
    assert_false(selector.size.has_value());
    assert_non_null(selector.sha1());
    assert_false(selector.empty());
    // A bare a=file-selector selects any file.
    assert_true(FileSelector::parse("").empty());
}

static void names_are_quoted_and_escaped(void**) {
    FileSelector selector = FileSelector::parse("name:\"a %22quoted%22 100%25 r\xc3\xa9sum\xc3\xa9 %0d%0A.txt\"");
    assert_string_equal(selector.name->c_str(), "a \"quoted\" 100% r\xc3\xa9sum\xc3\xa9 \r\n.txt");
    // Writing escapes exactly the bytes the grammar forbids, upper-case hex.
    assert_string_equal(selector.str().c_str(), "name:\"a %22quoted%22 100%25 r\xc3\xa9sum\xc3\xa9 %0D%0A.txt\"");
    assert_string_equal(FileSelector::parse(selector.str()).name->c_str(), selector.name->c_str());
    // A name that tries to climb out of a folder is just a name to the parser (the store refuses it).
    assert_string_equal(FileSelector::parse("name:\"../../etc/passwd\"").name->c_str(), "../../etc/passwd");
    // A NUL written as %00 survives the round trip.
    FileSelector nul;
    nul.name = std::string("a\0b", 3);
    assert_true(FileSelector::parse(nul.str()).name == nul.name);
}

static void types_with_parameters(void**) {
    FileSelector selector = FileSelector::parse("type:text/plain;charset=\"UTF-8\";format=\"flo%22wed\" size:0");
    assert_string_equal(selector.type->c_str(), "text/plain");
    assert_int_equal(selector.typeParameters.size(), 2);
    assert_string_equal(selector.typeParameters[0].attribute.c_str(), "charset");
    assert_string_equal(selector.typeParameters[0].value.c_str(), "UTF-8");
    assert_string_equal(selector.typeParameters[1].value.c_str(), "flo\"wed");
    assert_int_equal(*selector.size, 0);
    assert_string_equal(selector.contentType().c_str(), "text/plain;charset=\"UTF-8\";format=\"flo\\\"wed\"");
    assert_string_equal(selector.str().c_str(), "type:text/plain;charset=\"UTF-8\";format=\"flo%22wed\" size:0");
}

static void hashes(void**) {
    // Lower-case hex is HEXDIG too (ABNF strings ignore case); written back in upper case.
    FileSelector selector = FileSelector::parse("hash:SHA-1:72:24:5f:e8:65:3d:da:f3:71:36:2f:86:d4:71:91:3e:e4:a2:ce:2e");
    assert_string_equal(selector.hashes[0].algorithm.c_str(), "sha-1");
    assert_string_equal(selector.str().c_str(), "hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E");
    // Another algorithm is kept (any length), next to the sha-1.
    FileSelector two = FileSelector::parse("hash:sha-256:01:02 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E");
    assert_int_equal(two.hashes.size(), 2);
    assert_string_equal(two.hash("sha-256")->colonHex().c_str(), "01:02");
    assert_non_null(two.sha1());
    auto fromHex = FileHash::sha1FromPlainHex("72245FE8653DDAF371362F86D471913EE4A2CE2E");
    assert_true(fromHex.has_value());
    assert_string_equal(fromHex->colonHex().c_str(), two.sha1()->colonHex().c_str());
    assert_false(FileHash::sha1FromPlainHex("72245f").has_value());
    assert_false(FileHash::sha1FromPlainHex("zz245fe8653ddaf371362f86d471913ee4a2ce2e").has_value());
}

static void selector_errors(void**) {
    selectorRefuses("name:\"unterminated", "closing");
    selectorRefuses("name:unquoted", "opening");
    selectorRefuses("name:\"\"", "empty file name");
    selectorRefuses("name:\"bad %zz\"", "two hex digits");
    selectorRefuses("name:\"bad %2\"", "two hex digits");
    selectorRefuses(std::string("name:\"a\rb\""), "percent-encoded");
    selectorRefuses("name:\"a\" name:\"b\"", "two name selectors");
    selectorRefuses("size:12 size:13", "two size selectors");
    selectorRefuses("size:", "file size");
    selectorRefuses("size:-1", "file size");
    selectorRefuses("size:012", "leading zero");
    selectorRefuses("size:99999999999999999999", "too large");
    selectorRefuses("size:123456789012345678901", "file size");
    selectorRefuses("type:image", "'/'");
    selectorRefuses("type:image/", "subtype");
    selectorRefuses("type:image/png;charset=utf-8", "opening");
    selectorRefuses("type:image/png;=\"x\"", "parameter name");
    selectorRefuses("hash:sha-1:72:24", "20 bytes");
    selectorRefuses("hash:sha-1:7", "two hex digits");
    selectorRefuses("hash:sha-1:", "two hex digits");
    selectorRefuses("hash:sha-1:72:", "two hex digits");
    selectorRefuses("hash::72", "hash algorithm");
    selectorRefuses("hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E "
                    "hash:SHA-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E",
                    "two sha-1 hashes");
    selectorRefuses("colour:blue", "expected a selector");
    selectorRefuses("size:1  size:2", "selector after the space");
    selectorRefuses("size:1 ", "selector after the space");
    selectorRefuses(" size:1", "expected a selector");
    selectorRefuses("size:1\tname:\"a\"", "one space");
    selectorRefuses(std::string(FileSelector::kMaxLength + 1, 'x'), "longer than");
    selectorRefuses("name:\"" + std::string(FileSelector::kMaxNameBytes + 1, 'x') + "\"", "longer than");
    // Every message names the attribute.
    selectorRefuses("size:x", "file-selector:");
}

static void other_attribute_errors(void**) {
    refuses([] { parseFileTransferId(""); }, "file-transfer-id");
    refuses([] { parseFileTransferId("a b"); }, "file-transfer-id");
    refuses([] { parseFileTransferId("a:b"); }, "no such character");
    refuses([] { parseFileDisposition("inline;x"); }, "file-disposition");
    refuses([] { FileDate::parse(""); }, "creation:");
    refuses([] { FileDate::parse("birth:\"Mon, 15 May 2006 15:01:31 +0300\""); }, "creation:");
    refuses([] { FileDate::parse("creation:\"Mon, 15 May 2006 15:01:31 EST\""); }, "numeric zone");
    refuses([] { FileDate::parse("creation:\"Mon, 30 Feb 2006 15:01:31 +0300\""); }, "not a valid date");
    refuses([] { FileDate::parse("creation:\"Mon, 15 May 2006 25:01:31 +0300\""); }, "out of range");
    refuses([] { FileDate::parse("creation:\"Mon, 15 Mai 2006 15:01:31 +0300\""); }, "month name");
    refuses([] { FileDate::parse("creation:\"Mon, 15 May 2006 15:01:31 +0300"); }, "closing");
    refuses([] { FileDate::parse("creation:\"Mon, 15 May 2006 15:01:31 +0300\" creation:\"15 May 2006 15:01 +0000\""); },
            "twice");
    refuses([] { FileRange::parse("0-10"); }, "start at 1");
    refuses([] { FileRange::parse("10-2"); }, "before start");
    refuses([] { FileRange::parse("1-"); }, "stop offset");
    // The valid forms of those.
    FileDate date = FileDate::parse("creation:\"15 May 2006 15:01 -0100\" read:\"Tue, 1 Jan 2030 00:00:00 +0000\"");
    assert_int_equal(*date.creation, 1147708860);
    assert_int_equal(*date.read, 1893456000);
    assert_true(date.modification == std::nullopt);
    assert_true(FileDate::parse(date.str()).creation == date.creation);
    assert_false(FileRange::parse("5-*").stop.has_value());
    assert_string_equal(FileRange::parse("5-*").str().c_str(), "5-*");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_send_example),
        cmocka_unit_test(rfc_pull_example),
        cmocka_unit_test(names_are_quoted_and_escaped),
        cmocka_unit_test(types_with_parameters),
        cmocka_unit_test(hashes),
        cmocka_unit_test(selector_errors),
        cmocka_unit_test(other_attribute_errors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
