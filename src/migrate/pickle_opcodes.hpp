// Names of the pickle opcodes (every protocol, 0 to 5), for error messages that say which
// opcode was refused. Internal to migrate/.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

namespace rag::migrate {

// "GLOBAL (0x63 'c')", "STACK_GLOBAL (0x93)", "unknown opcode (0xff)".
std::string describe_pickle_opcode(unsigned char op);

}  // namespace rag::migrate
