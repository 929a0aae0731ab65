// rag-server: dispatches to the subcommands in cli/.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return rag::cli::run(argc, argv); }
