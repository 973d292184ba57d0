// The single-rank communicator.
#include <cstdlib>

#include "dist/communicator.h"

namespace gat::dist {

void LocalCommunicator::abort(int exit_code) { std::exit(exit_code); }

}  // namespace gat::dist
