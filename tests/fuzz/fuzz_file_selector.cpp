// Fuzz target: RFC 5547 file attributes (sylkcore/msrp/file_selector). The first byte picks the
// attribute (the seeds start with "0" selector, "1" date, "2" range, "3" transfer id,
// "4" disposition), the rest is its value. A value either throws FileSelectorError or parses;
// what parses is written back, and the written form must parse again to the same value (aborts
// otherwise), so the writer never produces what the parser refuses.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sylkcore/msrp/file_selector.hpp"

using namespace sylk::msrp;

namespace {

bool sameSelector(const FileSelector& a, const FileSelector& b) {
    if (a.name != b.name || a.type != b.type || a.size != b.size || a.hashes.size() != b.hashes.size() ||
        a.typeParameters.size() != b.typeParameters.size())
        return false;
    for (size_t i = 0; i < a.hashes.size(); ++i) {
        if (a.hashes[i].algorithm != b.hashes[i].algorithm || a.hashes[i].digest != b.hashes[i].digest)
            return false;
    }
    for (size_t i = 0; i < a.typeParameters.size(); ++i) {
        if (a.typeParameters[i].attribute != b.typeParameters[i].attribute ||
            a.typeParameters[i].value != b.typeParameters[i].value)
            return false;
    }
    return true;
}

void selector(const std::string& value) {
    FileSelector parsed = FileSelector::parse(value);
    if (!sameSelector(parsed, FileSelector::parse(parsed.str())))
        abort();
    if (const FileHash* sha1 = parsed.sha1()) {
        if (sha1->digest.size() != 20 || FileHash::sha1FromPlainHex(sha1->plainHex())->digest != sha1->digest)
            abort();
    }
    parsed.contentType();
}

void date(const std::string& value) {
    FileDate parsed = FileDate::parse(value);
    FileDate again = FileDate::parse(parsed.str());
    if (again.creation != parsed.creation || again.modification != parsed.modification || again.read != parsed.read)
        abort();
}

void range(const std::string& value) {
    FileRange parsed = FileRange::parse(value);
    FileRange again = FileRange::parse(parsed.str());
    if (again.start != parsed.start || again.stop != parsed.stop)
        abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    std::string value(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch ((data[0] + 2u) % 5) {  // so that the seeds can start with the digits 0-4
        case 0: selector(value); break;
        case 1: date(value); break;
        case 2: range(value); break;
        case 3: parseFileTransferId(value); break;
        default: parseFileDisposition(value); break;
        }
    } catch (const FileSelectorError&) {
        // refused with a message: the expected outcome for bad input
    }
    return 0;
}
