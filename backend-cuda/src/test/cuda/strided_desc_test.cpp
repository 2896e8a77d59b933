// Prints the layout of StridedDesc as the kernels see it, and decodes a descriptor given as hex
// bytes on the command line, so StridedDescTest can hold the Java packing against the header.
#include "cuda_emu.h"
#include "fathom_kernels.cuh"
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::printf("sizeof %zu rank %zu offset %zu sizes %zu strides %zu\n", sizeof(StridedDesc), offsetof(StridedDesc, rank),
                offsetof(StridedDesc, offset), offsetof(StridedDesc, sizes), offsetof(StridedDesc, strides));
    if (argc < 2) {
        return 0;
    }
    std::string hex = argv[1];
    std::vector<unsigned char> bytes(hex.size() / 2);
    for (size_t i = 0; i < bytes.size(); i++) {
        bytes[i] = (unsigned char) std::stoi(hex.substr(2 * i, 2), nullptr, 16);
    }
    if (bytes.size() != sizeof(StridedDesc)) {
        std::printf("got %zu bytes\n", bytes.size());
        return 1;
    }
    StridedDesc d;
    std::memcpy(&d, bytes.data(), sizeof d);
    std::printf("rank %d offset %lld sizes", d.rank, d.offset);
    for (int k = 0; k < FATHOM_MAX_RANK; k++) {
        std::printf(" %lld", d.sizes[k]);
    }
    std::printf(" strides");
    for (int k = 0; k < FATHOM_MAX_RANK; k++) {
        std::printf(" %lld", d.strides[k]);
    }
    std::printf("\n");
    return 0;
}
