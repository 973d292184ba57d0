# cmake -DIN=kernels.cu -DOUT=kernels.cpp -P rewrite_launches.cmake
#
# The one part of CUDA C++ that is not C++: kernel<<<grid, block, shared, stream>>>(arguments)
# becomes kernel << LaunchConfig{grid, block, shared, stream} << arguments(arguments), which
# cuda_runtime.h here turns into a run of the emulator. Everything else is left as it is, and a
# #line keeps the compiler's messages on the .cu file's lines.
file(READ "${IN}" text)
string(REGEX MATCHALL "<<<" opened "${text}")
string(REGEX MATCHALL ">>>\\(" closed "${text}")
list(LENGTH opened launches)
list(LENGTH closed ends)
if(NOT launches EQUAL ends)
  message(FATAL_ERROR "${IN}: ${launches} '<<<' but ${ends} '>>>(': each launch must read kernel<<<...>>>(...)")
endif()
string(REPLACE "<<<" "<< ::gat::cuda_emulation::LaunchConfig{" text "${text}")
string(REPLACE ">>>(" "} << ::gat::cuda_emulation::arguments(" text "${text}")
file(WRITE "${OUT}" "#line 1 \"${IN}\"\n${text}")
