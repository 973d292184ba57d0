// An allocator's mallopt that refuses every setting, as AddressSanitizer's does. cli_test preloads it
// (LD_PRELOAD) to run gat_train where gat::keep_freed_memory cannot take effect.
extern "C" int mallopt(int, int) { return 0; }  // glibc's failure value
