// Replays every file of a fuzz target's kept corpus (seeds and past crash inputs) through
// LLVMFuzzerTestOneInput, so make check guards against regressions without libFuzzer.
// Prints TAP: one test case per kept input; exit status 0 when every input ran.
#include <dirent.h>

#include <algorithm>
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
        std::printf("1..1\nnot ok 1 - cannot open corpus folder %s\n", folder.c_str());
        return 1;
    }
    std::vector<std::string> files;
    while (dirent* entry = readdir(dir)) {
        if (entry->d_name[0] != '.')
            files.push_back(folder + "/" + entry->d_name);
    }
    closedir(dir);
    if (files.empty()) {
        std::printf("1..1\nnot ok 1 - corpus folder %s is empty\n", folder.c_str());
        return 1;
    }
    std::sort(files.begin(), files.end());
    std::printf("1..%zu\n", files.size());
    size_t number = 0;
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // A crash or sanitizer report aborts the process: the driver then reports the error.
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        std::printf("ok %zu - %s\n", ++number, file.c_str() + folder.size() + 1);
        std::fflush(stdout);
    }
    return 0;
}
