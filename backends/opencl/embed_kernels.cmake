# cmake -DOUT=header.h "-DSOURCES=a.cl;b.cl" -P embed_kernels.cmake
# Writes the concatenated kernel sources as one NUL-terminated byte array,
# ocl_kernel_source[], so the module carries its kernels (no string
# literal length limits, no escaping).
set(text "")
foreach(src IN LISTS SOURCES)
  file(READ ${src} part)
  get_filename_component(name ${src} NAME)
  string(APPEND text "/* ---- ${name} ---- */\n${part}\n")
endforeach()
string(LENGTH "${text}" len)
file(WRITE ${OUT}.tmp "${text}")
file(READ ${OUT}.tmp hex HEX)
file(REMOVE ${OUT}.tmp)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n" hex "${hex}")
file(WRITE ${OUT}
  "/* Generated from the kernel sources by embed_kernels.cmake: do not edit. */\n"
  "static const char ocl_kernel_source[] = {\n${hex}0x00};\n"
  "#define OCL_KERNEL_SOURCE_LENGTH ${len}\n")
