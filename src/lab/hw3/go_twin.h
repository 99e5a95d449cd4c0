// The Go twin (bench/peers/go_hw3): the same experiments in the course's
// language. When `go` is on PATH it is built offline (GOPATH mode, no module
// downloads, GOCACHE in the build directory), run with the same sizes, and
// its rows are appended to the C++ tables with language "Go".
// Thread-safety: call from one thread at a time.
#pragma once

#include "core/result.h"
#include "lab/hw3/hw3.h"

namespace scalelab::lab::hw3 {

// Where `go` is, or empty when it is not installed.
std::filesystem::path find_go();

// Builds and runs the twin; on success appends its rows to result and fills
// result.go. Failure leaves the C++ rows alone.
Status run_go_twin(const Hw3Options& options, Hw3Result& result);

// Appends the rows of the twin's JSON output (see bench/peers/go_hw3) to
// result. Exposed for tests.
Status add_go_rows(const std::string& json_text, Hw3Result& result);

}  // namespace scalelab::lab::hw3
