// Replays every file of a fuzz target's kept corpus (seeds and past crash inputs) through
// LLVMFuzzerTestOneInput, so make check guards against regressions without libFuzzer.
// Prints TAP-like lines; exit status 0 when every input ran.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    std::string folder = argc > 1 ? argv[1] : FUZZ_CORPUS_DIR;
    DIR* dir = opendir(folder.c_str());
    if (!dir) {
        std::fprintf(stderr, "cannot open corpus folder %s\n", folder.c_str());
        return 1;
    }
    std::vector<std::string> files;
    while (dirent* entry = readdir(dir)) {
        if (entry->d_name[0] != '.')
            files.push_back(folder + "/" + entry->d_name);
    }
    closedir(dir);
    if (files.empty()) {
        std::fprintf(stderr, "corpus folder %s is empty\n", folder.c_str());
        return 1;
    }
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("replayed %zu inputs from %s\n", files.size(), folder.c_str());
    return 0;
}
