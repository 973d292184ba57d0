// Compiled as a file of src/train is, with gat_src_train's usage requirements (ctest -R layering):
// with GAT_PROBE_HEADER undefined it must compile, which shows that the probes' compile line works;
// with GAT_PROBE_HEADER <mpi.h> or <H5Cpp.h> it must fail for that header alone.
#include "train/early_stopping.h"
#ifdef GAT_PROBE_HEADER
#include GAT_PROBE_HEADER
#endif
