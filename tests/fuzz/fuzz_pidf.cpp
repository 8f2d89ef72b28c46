// Fuzz target for the PIDF reader (plugins/sip/pidf): any document it reads is bounded and
// never crashes it; what it reads, written back with buildPidf, reads as the same status and
// (printable) note.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/sip/pidf.hpp"

using namespace sylk::sip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    auto status = parsePidf(input);
    if (!status)
        return 0;
    if (status->note.size() > 1024)
        __builtin_trap();
    bool printable = true;
    for (char c : status->note)
        printable = printable && static_cast<unsigned char>(c) >= 0x20;
    auto again = parsePidf(buildPidf("sip:alice@example.com", status->open, status->note));
    if (!again || again->open != status->open || (printable && again->note != status->note))
        __builtin_trap();
    return 0;
}
