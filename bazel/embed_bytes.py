"""Writes a C++ source defining a file's bytes as an array and its size.

    embed_bytes.py NAMESPACE NAME FILE > out.cc
"""

import sys


def main():
    namespace, name, path = sys.argv[1:4]
    data = open(path, "rb").read()
    print("#include <cstddef>\n")
    print(f"namespace {namespace} {{\n")
    print(f"extern unsigned char const {name}[] = {{")
    for i in range(0, len(data), 16):
        print("    " + ", ".join(str(b) for b in data[i:i + 16]) + ",")
    print("};")
    print(f"extern std::size_t const {name}Size = {len(data)};\n")
    print(f"}}  // namespace {namespace}")


if __name__ == "__main__":
    main()
